//! `GET /api/events`: Server-Sent Events of the changes the caller may see.
//! Event ids are change numbers; `Last-Event-ID` replays what was missed
//! from the change log before going live.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde_json::json;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;

use super::Caller;
use super::incidents::may_see;
use crate::app::{AppState, LiveEvent};
use crate::auth::Principal;
use crate::error::AppError;

/// Most change-log entries replayed in one go.
const REPLAY_LIMIT: i64 = 10_000;

fn event(seq: i64, data: &serde_json::Value) -> Event {
    Event::default()
        .id(seq.to_string())
        .event("change")
        .data(data.to_string())
}

struct Listener {
    state: Arc<AppState>,
    who: Principal,
    rx: Receiver<LiveEvent>,
    stop: Receiver<()>,
    /// highest change number sent (or the client's Last-Event-ID)
    sent: Option<i64>,
    /// replayed events waiting to go out, in order
    backlog: std::collections::VecDeque<(i64, Event)>,
    replay: bool,
}

impl Listener {
    /// Loads the change-log entries after `sent` that this listener may see.
    async fn load_backlog(&mut self) {
        let Ok(changes) = self
            .state
            .store
            .changes_since(self.sent.unwrap_or(0), REPLAY_LIMIT)
            .await
        else {
            return;
        };
        let index = self.state.index();
        for c in changes {
            let inc = index.incidents.get(&c.record_id);
            if !inc.is_none_or(|i| may_see(&self.who, i.grid.as_deref())) {
                continue;
            }
            // Patrol batches name members: replayed only to those who get them live.
            if c.kind.starts_with("patrol.") && !may_see(&self.who, None) {
                continue;
            }
            let data = match inc {
                Some(i) => {
                    json!({"kind": c.kind, "id": c.record_id, "lon": i.lon, "lat": i.lat, "grid": i.grid,
                                  "status": i.status.as_str(), "category": crate::domain::incident::category_name(&i.category)})
                }
                None => json!({"kind": c.kind, "id": c.record_id}),
            };
            self.backlog.push_back((c.seq, event(c.seq, &data)));
        }
    }

    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some((seq, e)) = self.backlog.pop_front() {
                self.sent = Some(seq);
                return Some(e);
            }
            if self.replay {
                self.replay = false;
                self.load_backlog().await;
                continue;
            }
            tokio::select! {
                _ = self.stop.recv() => return None,
                msg = self.rx.recv() => match msg {
                    Ok(ev) => {
                        if self.sent.is_some_and(|s| ev.change.seq <= s) || !may_see(&self.who, ev.grid.as_deref()) {
                            continue;
                        }
                        self.sent = Some(ev.change.seq);
                        return Some(event(ev.change.seq, &ev.data));
                    }
                    // Fell behind the live channel: replay the gap from the change log.
                    Err(RecvError::Lagged(_)) => self.replay = true,
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    }
}

/// `GET /api/events`
pub async fn events(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let who = caller.require()?.clone();
    let last: Option<i64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    // Subscribe before reading the backlog so nothing falls between the two.
    let listener = Listener {
        rx: state.events.subscribe(),
        stop: state.shutdown.subscribe(),
        state,
        who,
        sent: last,
        backlog: Default::default(),
        replay: last.is_some(),
    };
    let stream = futures::stream::unfold(listener, |mut l| async move {
        l.next().await.map(|e| (Ok(e), l))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
