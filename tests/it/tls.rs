//! `--tls-cert`/`--tls-key`: the server speaks HTTPS itself (phones need a
//! secure context for their location), and says so in the URLs it hands out.

use std::sync::Arc;

use minqing::app::{App, AppConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

use crate::common::{Backend, fresh_store_url};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

async fn get_over_tls(addr: std::net::SocketAddr, path: &str) -> String {
    let mut roots = rustls::RootCertStore::empty();
    for c in
        CertificateDer::pem_file_iter(format!("{DIR}/ca.pem")).expect("read the test certificate")
    {
        roots.add(c.expect("PEM")).expect("a usable root");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the TLS handshake succeeds against the configured certificate");
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await.ok();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn the_server_speaks_https_with_the_given_certificate() {
    let (url, dir) = fresh_store_url(Backend::Sqlite).await;
    let mut cfg = AppConfig::new(&url, "127.0.0.1:0".parse().unwrap());
    cfg.tls = Some((
        format!("{DIR}/cert.pem").into(),
        format!("{DIR}/key.pem").into(),
    ));
    let app = App::build(cfg)
        .await
        .expect("the app builds with a certificate");
    let addr = app.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(app.run(async {
        let _ = rx.await;
    }));
    let answer = get_over_tls(addr, "/healthz").await;
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "health over HTTPS: {answer}"
    );
    let answer = get_over_tls(addr, "/tiles/grids.json").await;
    assert!(
        answer.contains("\"https://localhost/tiles/grids/"),
        "handed-out URLs use https: {answer}"
    );
    // Plain HTTP to the TLS port gets no HTTP answer.
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ =
        tokio::time::timeout(std::time::Duration::from_secs(3), tcp.read_to_end(&mut buf)).await;
    assert!(
        !String::from_utf8_lossy(&buf).contains("200 OK"),
        "plain HTTP is not served on the HTTPS port"
    );
    let _ = tx.send(());
    let _ = handle.await;
    drop(dir);
}

#[tokio::test]
async fn a_missing_or_broken_certificate_stops_the_start_with_one_line() {
    let (url, _dir) = fresh_store_url(Backend::Sqlite).await;
    for (cert, key, words) in [
        (
            "/nonexistent/cert.pem",
            "/nonexistent/key.pem",
            "cannot read TLS certificate",
        ),
        (
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
            "/nonexistent/key.pem",
            "holds no certificate",
        ),
    ] {
        let mut cfg = AppConfig::new(&url, "127.0.0.1:0".parse().unwrap());
        cfg.tls = Some((cert.into(), key.into()));
        let err = App::build(cfg).await.err().expect("refused").to_string();
        assert!(err.contains(words) && !err.contains('\n'), "{cert}: {err}");
    }
}
