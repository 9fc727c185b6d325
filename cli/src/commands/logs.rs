//! `wasmfn logs`: a running server's calls and guest logs as they happen, from its live feed
//! (`GET /api/calls` as Server-Sent Events).

use std::process::ExitCode;

use anstream::println;
use anyhow::{Context, bail};

use crate::style::{DIM, ERROR, OK, WARN};

pub(crate) fn run(url: &str, function: Option<&str>) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(follow(url, function))?;
    Ok(ExitCode::SUCCESS)
}

async fn follow(url: &str, function: Option<&str>) -> anyhow::Result<()> {
    let endpoint = format!("{}/api/calls", url.trim_end_matches('/'));
    let mut request =
        reqwest::Client::new().get(&endpoint).header(reqwest::header::ACCEPT, "text/event-stream");
    if let Some(function) = function {
        request = request.query(&[("function", function)]);
    }
    let mut response = request.send().await.with_context(|| format!("cannot reach {endpoint}"))?;
    if !response.status().is_success() {
        let status = response.status();
        bail!("{endpoint} answered {status}: {}", response.text().await.unwrap_or_default());
    }
    let mut events = EventParser::default();
    while let Some(chunk) = response.chunk().await.context("the stream broke off")? {
        for (event, data) in events.push(&chunk) {
            print_event(&event, &data);
        }
    }
    Ok(())
}

/// Splits a Server-Sent Events stream into `(event, data)` pairs as its bytes arrive.
#[derive(Default)]
struct EventParser {
    buffer: Vec<u8>,
    event: String,
    data: String,
}

impl EventParser {
    fn push(&mut self, bytes: &[u8]) -> Vec<(String, String)> {
        self.buffer.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() || !self.event.is_empty() {
                    events.push((std::mem::take(&mut self.event), std::mem::take(&mut self.data)));
                }
            } else if let Some(event) = line.strip_prefix("event:") {
                self.event = event.trim_start().to_owned();
            } else if let Some(data) = line.strip_prefix("data:") {
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(data.strip_prefix(' ').unwrap_or(data));
            }
        }
        events
    }
}

/// One line per call, one per log line.
fn print_event(event: &str, data: &str) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(data) else {
        if event == "lagged" {
            println!("{WARN}… {data} events missed (this terminal fell behind){WARN:#}");
        }
        return;
    };
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    match event {
        "call" => {
            let outcome = text("outcome");
            let style = if outcome == "ok" { OK } else { ERROR };
            let duration = value.get("duration_ms").and_then(|v| v.as_f64()).unwrap_or_default();
            let error = value.get("error").and_then(|v| v.as_str()).map(|e| format!(": {e}"));
            println!(
                "{DIM}{}{DIM:#} {} #{} {} {style}{outcome}{style:#} {duration:.1} ms{}",
                text("started_at"),
                text("function"),
                value.get("id").and_then(|v| v.as_u64()).unwrap_or_default(),
                text("trigger"),
                error.unwrap_or_default(),
            );
        }
        "log" => println!(
            "{} #{} {DIM}{:5}{DIM:#} {}",
            text("function"),
            value.get("call").and_then(|v| v.as_u64()).unwrap_or_default(),
            text("level"),
            text("message"),
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::EventParser;

    #[test]
    fn events_are_split_across_chunks() {
        let mut parser = EventParser::default();
        assert!(parser.push(b"event: call\ndata: {\"a\"").is_empty());
        let events = parser.push(b":1}\n\n: keep-alive\n\nevent: log\r\ndata: x\r\n\r\n");
        assert_eq!(
            events,
            [("call".to_owned(), "{\"a\":1}".to_owned()), ("log".to_owned(), "x".to_owned())]
        );
    }
}
