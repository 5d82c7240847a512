//! A one-shot Lambda runtime API: hands a function's binary one event with a deadline the
//! test chooses (which `cargo lambda watch` does not let a test set), records its answer,
//! then stops it. For the invocation deadline: that a function fails in an orderly way
//! before Lambda's timeout instead of being killed by it.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::time::{Duration, Instant, SystemTime};

/// What the function posted back for its one invocation.
#[derive(Debug)]
pub struct Answer {
    /// `errorType` of a failed invocation; `None` when it succeeded.
    pub error_type: Option<String>,
    /// The response, or the error document (`errorType`, `errorMessage`).
    pub body: Value,
    /// From the event being handed over to the answer arriving.
    pub took: Duration,
    /// What the function logged.
    pub log: String,
}

enum Seen {
    Handed(Instant),
    Posted {
        path: String,
        body: Vec<u8>,
        at: Instant,
    },
}

/// The debug binary of a function (`make test` builds them before the tests run).
pub fn binary(function: &str) -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| crate::repo_root().join("target"))
        .join("debug")
        .join(function)
}

/// Starts `function`'s binary with only `env` (plus the runtime's own variables), hands it
/// `event` with Lambda's deadline `deadline_in` from then, and waits up to two minutes for
/// its answer.
pub fn invoke_binary(
    function: &str,
    env: &[(String, String)],
    event: &Value,
    deadline_in: Duration,
) -> Answer {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the runtime API");
    let port = listener.local_addr().expect("local address").port();
    let (seen, events) = channel();
    let event = Arc::new(serde_json::to_vec(event).expect("event JSON"));
    let function_arn = format!("arn:aws:lambda:eu-west-1:123456789012:function:{function}");
    std::thread::spawn(move || {
        let handed = Arc::new(AtomicBool::new(false));
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (seen, event, handed, arn) = (
                seen.clone(),
                Arc::clone(&event),
                Arc::clone(&handed),
                function_arn.clone(),
            );
            std::thread::spawn(move || serve(stream, &event, &arn, deadline_in, &handed, &seen));
        }
    });

    let log_path = std::env::temp_dir().join(format!(
        "phoenix-runtime-{function}-{}-{port}.log",
        std::process::id()
    ));
    let log_file = std::fs::File::create(&log_path).expect("log file");
    let binary = binary(function);
    let mut child = Command::new(&binary)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "test")
        .stdout(log_file.try_clone().expect("log file"))
        .stderr(log_file)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (make test builds the binaries first)",
                binary.display()
            )
        });

    let mut handed_at = None;
    let answer = loop {
        match events.recv_timeout(Duration::from_secs(120)) {
            Ok(Seen::Handed(at)) => handed_at = Some(at),
            Ok(Seen::Posted { path, body, at })
                if path.contains("/invocation/") || path.ends_with("/init/error") =>
            {
                break Some((path, body, at));
            }
            Ok(Seen::Posted { .. }) => {}
            Err(_) => break None,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_file(&log_path);
    let Some((path, body, at)) = answer else {
        panic!("{function} gave no answer within two minutes; its log:\n{log}");
    };
    // An init error comes before any event is handed over.
    let handed_at = handed_at.unwrap_or(at);
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Answer {
        error_type: path
            .ends_with("/error")
            .then(|| body["errorType"].as_str().unwrap_or_default().to_owned()),
        body,
        took: at - handed_at,
        log,
    }
}

/// Serves one connection of the function's runtime client: the first `next` gets the event,
/// later ones are held (the function idles, as between invocations), posts are accepted.
fn serve(
    stream: TcpStream,
    event: &[u8],
    function_arn: &str,
    deadline_in: Duration,
    handed: &AtomicBool,
    seen: &Sender<Seen>,
) {
    let mut writer = match stream.try_clone() {
        Ok(writer) => writer,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let reply = if method == "GET" && path.ends_with("/runtime/invocation/next") {
            if handed.swap(true, Ordering::SeqCst) {
                std::thread::sleep(Duration::from_secs(300));
                return;
            }
            let deadline = SystemTime::now() + deadline_in;
            let deadline_ms = deadline
                .duration_since(SystemTime::UNIX_EPOCH)
                .expect("clock after 1970")
                .as_millis();
            let _ = seen.send(Seen::Handed(Instant::now()));
            let mut reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                 Lambda-Runtime-Aws-Request-Id: deadline-test-request\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline_ms}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: {function_arn}\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\n\
                 Content-Length: {}\r\n\r\n",
                event.len()
            )
            .into_bytes();
            reply.extend_from_slice(event);
            reply
        } else if method == "POST" {
            let _ = seen.send(Seen::Posted {
                path: path.to_owned(),
                body,
                at: Instant::now(),
            });
            b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n".to_vec()
        } else {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()
        };
        if writer.write_all(&reply).is_err() {
            return;
        }
    }
}
