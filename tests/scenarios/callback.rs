//! A webhook endpoint for the scenarios: an axum server on 127.0.0.1 (port chosen by the OS,
//! its own thread and runtime) that answers Meta's verification GET the way a real endpoint
//! does, and records every call. The simulator calls loopback callbacks for real, so a test
//! sees exactly what Meta would have sent. Same idea as `callback_server` in
//! sim/tests/common/mod.rs, which tests/ cannot import.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the endpoint answers `GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C`.
#[derive(Clone, Debug)]
pub enum Answer {
    /// 200 with body C when T is this token, else 403.
    Echo(String),
    /// Always this status and body (e.g. 200 with a wrong challenge).
    Fixed(u16, String),
}

/// One call the endpoint received: its path and decoded query pairs, in order.
#[derive(Clone, Debug)]
pub struct Call {
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl Call {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
struct Shared {
    answer: Arc<Mutex<(Answer, Duration)>>,
    calls: Arc<Mutex<Vec<Call>>>,
}

/// A running endpoint; stops when dropped.
pub struct CallbackServer {
    /// `http://127.0.0.1:PORT` (no path: any path answers).
    pub base: String,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl CallbackServer {
    pub fn start(answer: Answer) -> CallbackServer {
        let shared = Shared {
            answer: Arc::new(Mutex::new((answer, Duration::ZERO))),
            calls: Arc::default(),
        };
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let state = shared.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("callback runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind the callback server");
                let addr = listener.local_addr().expect("callback address");
                ready_tx.send(addr).expect("report the address");
                let app = axum::Router::new().fallback(verify).with_state(state);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await;
            });
        });
        let addr = ready_rx.recv().expect("callback server starts");
        CallbackServer {
            base: format!("http://{addr}"),
            shared,
            stop: Some(stop_tx),
        }
    }

    /// The URL of `path` on this server (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answer differently from now on.
    pub fn set_answer(&self, answer: Answer) {
        self.shared.answer.lock().unwrap().0 = answer;
    }

    /// Wait this long before answering (the call is recorded on arrival).
    pub fn set_delay(&self, delay: Duration) {
        self.shared.answer.lock().unwrap().1 = delay;
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap().clone()
    }
}

impl Drop for CallbackServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn verify(
    axum::extract::State(shared): axum::extract::State<Shared>,
    uri: axum::http::Uri,
) -> (axum::http::StatusCode, String) {
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let call = Call {
        path: uri.path().to_string(),
        query,
    };
    shared.calls.lock().unwrap().push(call.clone());
    let (answer, delay) = shared.answer.lock().unwrap().clone();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let ok = call.get("hub.mode") == Some("subscribe");
    match answer {
        Answer::Echo(token) if ok && call.get("hub.verify_token") == Some(token.as_str()) => (
            axum::http::StatusCode::OK,
            call.get("hub.challenge").unwrap_or_default().to_string(),
        ),
        Answer::Echo(_) => (
            axum::http::StatusCode::FORBIDDEN,
            "wrong verify token".into(),
        ),
        Answer::Fixed(status, body) => (
            axum::http::StatusCode::from_u16(status).expect("a status"),
            body,
        ),
    }
}
