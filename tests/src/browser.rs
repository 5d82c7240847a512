//! Headless Chromium (Debian's package, which `tests/setup` installs where it can): opens a
//! page from a file, as a person would, and answers with the DOM it built and a screenshot.
//! No network: the flags keep Chromium's own background requests off, and a page that needs
//! anything from elsewhere shows it as missing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Chromium, when the machine has it.
pub fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1800",
];

/// Opens `page` (a file) in headless Chromium: the DOM it rendered, and a screenshot at
/// `screenshot`. `None` when there is no Chromium.
pub fn open(page: &Path, screenshot: &Path) -> Option<String> {
    let browser = chromium()?;
    let profile = tempfile_dir("phoenix-chromium");
    let url = format!("file://{}", page.display());
    let run = |extra: &str| {
        let out = Command::new(&browser)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(extra)
            .arg(&url)
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", browser.display()));
        assert!(
            out.status.success(),
            "chromium {extra}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let dom = run("--dump-dom");
    run(&format!("--screenshot={}", screenshot.display()));
    let _ = std::fs::remove_dir_all(&profile);
    Some(dom)
}

fn tempfile_dir(prefix: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// A PNG's width and height, from its header.
pub fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let word = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    Some((word(16), word(20)))
}
