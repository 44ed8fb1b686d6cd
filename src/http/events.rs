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
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;

use super::Caller;
use crate::auth::Principal;
use crate::error::AppError;
use crate::service::{AppState, LiveEvent};

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
        for c in changes {
            // The same event and the same rule as live delivery.
            if let Some(ev) = self.state.replay_event(c)
                && ev.visible_to(&self.who)
            {
                self.backlog
                    .push_back((ev.change.seq, event(ev.change.seq, &ev.data)));
            }
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
                        if self.sent.is_some_and(|s| ev.change.seq <= s) || !ev.visible_to(&self.who) {
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
