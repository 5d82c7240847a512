//! Terraform's own files, read the way Phoenix Guard needs them: streamed, leniently, and
//! with every secret value reduced to a hash before anything keeps it.
//!
//! - [`plan`]: what each change of a plan (`terraform show -json PLANFILE`) does to the
//!   resources that hold or guard data;
//! - [`destroy`]: the same changes for a `terraform destroy` of a stack, from its state;
//! - [`state`]: a state file's data stores and generated secrets, and what changed between
//!   two versions of it.

/// The `visit_*` methods of a visitor that takes any scalar where it expected a container
/// and makes `$value` of it: lenient readers skip what they cannot use instead of failing.
macro_rules! ignore_scalars {
    ($value:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}
pub(crate) use ignore_scalars;

/// A `visit_seq` that skips a list and makes `$value` of it (`$de`: the visitor's lifetime).
macro_rules! ignore_seq {
    ($de:lifetime, $value:expr) => {
        fn visit_seq<A: serde::de::SeqAccess<$de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok($value)
        }
    };
}
pub(crate) use ignore_seq;

/// A `visit_map` that skips an object and makes `$value` of it (`$de`: the visitor's
/// lifetime).
macro_rules! ignore_map {
    ($de:lifetime, $value:expr) => {
        fn visit_map<A: serde::de::MapAccess<$de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            while map
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {}
            Ok($value)
        }
    };
}
pub(crate) use ignore_map;

pub mod destroy;
pub mod plan;
pub mod state;

/// A file being parsed while its bytes arrive (an S3 object's body): [`Streaming::feed`]
/// each chunk, then [`Streaming::finish`]. The parser (`state::summarize_reader`,
/// `destroy::read`, …) runs on a blocking thread; at most a few chunks are in memory at once.
#[derive(Debug)]
pub struct Streaming<T, E> {
    tx: tokio::sync::mpsc::Sender<Vec<u8>>,
    parser: tokio::task::JoinHandle<Result<T, E>>,
}

impl<T: Send + 'static, E: Send + 'static> Streaming<T, E> {
    /// Starts `parse` on the current tokio runtime's blocking pool.
    pub fn start(parse: fn(ChunkReader) -> Result<T, E>) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
        let parser = tokio::task::spawn_blocking(move || parse(ChunkReader::new(rx)));
        Self { tx, parser }
    }

    /// Hands the parser the next chunk. `false` when it stopped early (the bytes are not
    /// what it reads), and [`Streaming::finish`] says why.
    pub async fn feed(&self, chunk: Vec<u8>) -> bool {
        self.tx.send(chunk).await.is_ok()
    }

    /// The parser's answer once every chunk was fed, or why the parser itself stopped.
    pub async fn finish(self) -> Result<Result<T, E>, String> {
        drop(self.tx);
        self.parser
            .await
            .map_err(|e| format!("the parser stopped: {e}"))
    }
}

/// A blocking reader over chunks sent through a channel.
#[derive(Debug)]
pub struct ChunkReader {
    rx: tokio::sync::mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl ChunkReader {
    const fn new(rx: tokio::sync::mpsc::Receiver<Vec<u8>>) -> Self {
        Self {
            rx,
            chunk: Vec::new(),
            at: 0,
        }
    }
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at >= self.chunk.len() {
            match self.rx.blocking_recv() {
                Some(next) => {
                    self.chunk = next;
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
