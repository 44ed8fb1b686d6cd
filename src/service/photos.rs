//! Evidence photos on a case: checked, re-encoded (which leaves every
//! metadata block of the upload behind: EXIF with its GPS position, XMP,
//! comments), thumbnailed, stored, announced.

use std::io::Cursor;
use std::sync::Arc;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use serde::Serialize;

use super::{AppState, LiveEvent};
use crate::auth::Principal;
use crate::auth::policy::{self, Action, Kind};
use crate::domain::Incident;
use crate::error::{AppError, clip};
use crate::store::NewPhoto;

/// Largest photo accepted, in bytes (the contract's 10 MB).
pub const MAX_PHOTO_BYTES: usize = 10_000_000;
/// Most photos one case holds.
pub const MAX_PHOTOS: i64 = 9;
/// Longest side of a stored photo; larger ones are scaled down.
const MAX_SIDE: u32 = 4096;
/// Longest side of a thumbnail.
const THUMB_SIDE: u32 = 320;
/// Largest image a decoder may describe (a small file can claim a huge canvas).
const MAX_CANVAS: u32 = 16_384;

/// A photo as clients see it (URLs relative to the server).
#[derive(Debug, Clone, Serialize)]
pub struct PhotoView {
    /// number within the case
    pub n: i64,
    /// the full image
    pub url: String,
    /// a small JPEG
    pub thumb: String,
}

impl PhotoView {
    /// The view of photo `n` of incident `id`.
    pub fn of(id: &str, n: i64) -> PhotoView {
        let url = format!("/api/incidents/{id}/photos/{n}");
        PhotoView {
            n,
            thumb: format!("{url}?size=thumb"),
            url,
        }
    }
}

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum PhotoProblem {
    /// not JPEG, PNG or WebP
    Type,
    /// it says it is one but does not decode
    Broken(String),
}

impl From<PhotoProblem> for AppError {
    fn from(p: PhotoProblem) -> AppError {
        match p {
            PhotoProblem::Type => {
                AppError::UnsupportedMedia("a photo must be a JPEG, PNG or WebP image".into())
            }
            PhotoProblem::Broken(why) => AppError::BadRequest(
                "bad_image",
                format!("the image does not decode: {}", clip(&why)),
            ),
        }
    }
}

/// Decodes an upload (by its content, never its name or declared type),
/// turns it upright by its EXIF orientation, and encodes it again: a PNG as
/// PNG, everything else as JPEG; plus a JPEG thumbnail.
///
/// ```
/// use minqing::service::photos::{prepare, PhotoProblem};
/// let mut png = Vec::new();
/// image::RgbImage::new(8, 4).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
/// let p = prepare(&png).unwrap();
/// assert_eq!((p.content_type, p.width, p.height), ("image/png", 8, 4));
/// assert_eq!(prepare(b"GIF89a...").unwrap_err(), PhotoProblem::Type);
/// ```
pub fn prepare(bytes: &[u8]) -> Result<NewPhoto, PhotoProblem> {
    let format = image::guess_format(bytes).map_err(|_| PhotoProblem::Type)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(PhotoProblem::Type);
    }
    let broken = |e: image::ImageError| PhotoProblem::Broken(e.to_string());
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_CANVAS);
    limits.max_image_height = Some(MAX_CANVAS);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(broken)?;
    let orientation = decoder.orientation().map_err(broken)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(broken)?;
    img.apply_orientation(orientation);
    if img.width().max(img.height()) > MAX_SIDE {
        img = img.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle);
    }
    let (data, content_type) = if format == ImageFormat::Png {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(broken)?;
        (out, "image/png")
    } else {
        (jpeg(&img, 85).map_err(broken)?, "image/jpeg")
    };
    let thumb = jpeg(&img.thumbnail(THUMB_SIDE, THUMB_SIDE), 80).map_err(broken)?;
    Ok(NewPhoto {
        content_type,
        data,
        thumb,
        width: img.width(),
        height: img.height(),
    })
}

fn jpeg(img: &DynamicImage, quality: u8) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    img.to_rgb8().write_with_encoder(enc)?;
    Ok(out)
}

/// The case photos go to: one the caller reads (else 404, as a missing one)
/// and may attach to (else 403). Checked before the upload is read.
pub async fn target(state: &AppState, who: &Principal, id: &str) -> Result<Incident, AppError> {
    state.ready()?;
    let incident = super::history::incident(state, id)
        .await?
        .filter(|i| {
            policy::read(Some(who), Kind::Incidents)
                .allows(i.grid.as_deref(), i.reporter.as_deref())
        })
        .ok_or_else(|| AppError::NotFound(format!("no incident {}", clip(id))))?;
    let (grid, owner) = (incident.grid.as_deref(), incident.reporter.as_deref());
    if !policy::decide(Some(who), Kind::Incidents, Action::Attach).allows(grid, owner) {
        return Err(AppError::Forbidden(format!(
            "photos on incident {id} are not yours to add"
        )));
    }
    Ok(incident)
}

/// Adds uploaded photos to `incident` (from [`target`]).
pub async fn add(
    state: &Arc<AppState>,
    who: &Principal,
    incident: Incident,
    uploads: Vec<Vec<u8>>,
) -> Result<Vec<PhotoView>, AppError> {
    if uploads.is_empty() {
        return Err(AppError::BadRequest(
            "missing_photo",
            "send one or more multipart parts named `photo`".into(),
        ));
    }
    let photos = state
        .heavy(move || {
            uploads
                .iter()
                .map(|b| prepare(b))
                .collect::<Result<Vec<_>, _>>()
        })
        .await??;
    let id = incident.id.clone();
    let (numbers, change) = state
        .store
        .add_photos(
            &id,
            &photos,
            MAX_PHOTOS,
            &who.username,
            (incident.lon, incident.lat),
        )
        .await?;
    let event = LiveEvent::incident(change, &incident, Some("photo"), &state.index());
    state.commit(event, |_| {});
    Ok(numbers.into_iter().map(|n| PhotoView::of(&id, n)).collect())
}
