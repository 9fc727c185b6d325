//! Waiting for what a guest says instead of sleeping: its log records (target `wasmfn::guest`)
//! on a channel a test can wait on, e.g. for a call to have really started.

use std::sync::OnceLock;

use tokio::sync::broadcast;
use tracing::{
    Event, Subscriber,
    field::{Field, Visit},
};
use tracing_subscriber::{Layer, layer::Context, prelude::*};

/// Every guest log message from now on. Installs a global subscriber the first time (a test
/// binary that sets its own cannot use this).
pub fn guest_logs() -> broadcast::Receiver<String> {
    static SENDER: OnceLock<broadcast::Sender<String>> = OnceLock::new();
    SENDER
        .get_or_init(|| {
            let (sender, _) = broadcast::channel(4096);
            let _ = tracing_subscriber::registry().with(GuestLogs(sender.clone())).try_init();
            sender
        })
        .subscribe()
}

/// Waits for a guest log message containing `needle` (panics after 60 s).
pub async fn logged(logs: &mut broadcast::Receiver<String>, needle: &str) {
    let found = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            match logs.recv().await {
                Ok(message) if message.contains(needle) => return,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("the log channel closed"),
            }
        }
    });
    found.await.unwrap_or_else(|_| panic!("no guest logged {needle:?}"));
}

struct GuestLogs(broadcast::Sender<String>);

impl<S: Subscriber> Layer<S> for GuestLogs {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "wasmfn::guest" {
            let mut message = Message(String::new());
            event.record(&mut message);
            let _ = self.0.send(message.0);
        }
    }
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}
