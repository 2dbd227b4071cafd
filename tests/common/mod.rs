//! Helpers for tests that run the real `loopbook` binary on real folders.

// Each test file uses a different part of these helpers, and `pub` here means "for the
// test files", not the crate's public API.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

/// A book in a temporary folder, copied from `tests/fixtures/<name>` or written by hand.
pub struct Book {
    pub dir: tempfile::TempDir,
}

/// What a run of the binary printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Book {
    pub fn empty() -> Book {
        Book {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    /// A copy of a fixture folder.
    pub fn fixture(name: &str) -> Book {
        let book = Book::empty();
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        copy_tree(&source, book.path());
        book
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, relative: &str, text: &str) -> &Self {
        self.write_bytes(relative, text.as_bytes())
    }

    pub fn write_bytes(&self, relative: &str, bytes: &[u8]) -> &Self {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        self
    }

    pub fn read(&self, relative: &str) -> String {
        let path = self.path().join(relative);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    pub fn exists(&self, relative: &str) -> bool {
        self.path().join(relative).exists()
    }

    /// Runs `loopbook build` on the book with extra arguments.
    pub fn build(&self, extra: &[&str]) -> Run {
        let mut args = vec!["--color", "never", "build"];
        args.extend_from_slice(extra);
        let dir = self.path().to_str().unwrap().to_string();
        args.push(&dir);
        loopbook(&args, self.path())
    }

    /// The `<main>` element of an output page.
    pub fn main_of(&self, page: &str) -> String {
        main_element(&self.read(&format!("public/{page}")))
    }

    /// Every file under `public/` with its bytes.
    pub fn output_files(&self) -> BTreeMap<String, Vec<u8>> {
        files_under(&self.path().join("public"))
    }
}

/// Runs the binary with `args` in `cwd`.
pub fn loopbook(args: &[&str], cwd: &Path) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_loopbook"))
        .args(args)
        .current_dir(cwd)
        .env_remove("LOOPBOOK_LOG")
        .output()
        .expect("the loopbook binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

impl Run {
    /// Fails with the whole output when the exit code is not `code`.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stderr:\n{}\n--- stdout:\n{}",
            self.stderr, self.stdout
        );
        self
    }

    pub fn expect_success(&self) -> &Self {
        self.expect_code(0)
    }

    /// The `--> file:line:col` locations printed, in order.
    pub fn locations(&self) -> Vec<String> {
        self.stderr
            .lines()
            .filter_map(|line| line.trim_start().strip_prefix("--> "))
            .map(str::to_string)
            .collect()
    }

    /// The headline of each diagnostic (`error: …` / `warning: …`).
    pub fn headlines(&self) -> Vec<String> {
        self.stderr
            .lines()
            .filter(|line| line.starts_with("error") || line.starts_with("warning"))
            .map(str::to_string)
            .collect()
    }
}

pub fn main_element(html: &str) -> String {
    let start = html.find("<main").expect("page has <main>");
    let end = html.find("</main>").expect("page has </main>") + "</main>".len();
    html[start..end].to_string()
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir(from) {
        let relative = entry.strip_prefix(from).unwrap();
        let target = to.join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &target).unwrap();
    }
}

fn walkdir(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

pub fn files_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir(root)
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = std::fs::read(&path).unwrap();
            (relative, bytes)
        })
        .collect()
}

/// Every wait on a server is bounded by this.
pub const WAIT: Duration = Duration::from_secs(30);

/// Running `loopbook serve` from tests and talking HTTP to it.
pub mod serve {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use super::{Book, WAIT};

    /// A running `loopbook serve`; killed when dropped.
    pub struct Server {
        pub child: Child,
        pub port: u16,
    }

    impl Server {
        pub fn start(book: &Book) -> Server {
            Server::start_with(book, &[])
        }

        /// Starts `serve` with extra arguments.
        pub fn start_with(book: &Book, extra: &[&str]) -> Server {
            Server::spawn(book, extra, Stdio::null())
        }

        /// Starts `serve` with what it prints on standard error going to `log`.
        pub fn start_logging(book: &Book, log: &std::path::Path) -> Server {
            let file = std::fs::File::create(log).expect("the log file can be made");
            Server::spawn(book, &[], Stdio::from(file))
        }

        fn spawn(book: &Book, extra: &[&str], stderr: Stdio) -> Server {
            let port = free_port();
            let child = Command::new(env!("CARGO_BIN_EXE_loopbook"))
                .args(["--color", "never", "serve", "--port", &port.to_string()])
                .args(extra)
                .arg(book.path())
                .env_remove("LOOPBOOK_LOG")
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .expect("loopbook serve starts");
            let server = Server { child, port };
            let started = Instant::now();
            while server.try_get("/__loopbook/status").is_none() {
                assert!(
                    started.elapsed() < WAIT,
                    "serve did not answer within {WAIT:?}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            server
        }

        pub fn try_get(&self, path: &str) -> Option<Response> {
            request(self.port, path)
        }

        pub fn get(&self, path: &str) -> Response {
            self.try_get(path)
                .unwrap_or_else(|| panic!("no answer for {path}"))
        }

        pub fn status(&self) -> serde_json::Value {
            serde_json::from_slice(&self.get("/__loopbook/status").body).unwrap()
        }

        pub fn rebuilds(&self) -> u64 {
            self.status()["rebuilds"].as_u64().unwrap()
        }

        /// Waits until no rebuild has started for a while; returns the count then.
        pub fn settle(&self) -> u64 {
            let started = Instant::now();
            let mut last = self.rebuilds();
            loop {
                std::thread::sleep(Duration::from_millis(300));
                let now = self.rebuilds();
                if now == last {
                    return now;
                }
                assert!(started.elapsed() < WAIT, "serve kept rebuilding");
                last = now;
            }
        }

        /// Waits until the server has run `count` rebuilds in all.
        pub fn wait_for_rebuilds(&self, count: u64) {
            let started = Instant::now();
            while self.rebuilds() < count {
                assert!(started.elapsed() < WAIT, "no rebuild within {WAIT:?}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    pub struct Response {
        pub status: u16,
        pub headers: String,
        pub body: Vec<u8>,
    }

    pub fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// A plain HTTP/1.1 GET with the path sent exactly as given.
    pub fn request(port: u16, path: &str) -> Option<Response> {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
        stream.set_read_timeout(Some(WAIT)).ok()?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).ok()?;
        let split = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
        let headers = String::from_utf8_lossy(&raw[..split]).to_lowercase();
        let status = headers.split_whitespace().nth(1)?.parse().ok()?;
        let mut body = raw[split + 4..].to_vec();
        if headers.contains("transfer-encoding: chunked") {
            body = dechunk(&body);
        }
        Some(Response {
            status,
            headers,
            body,
        })
    }

    fn dechunk(mut body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(end) = body.windows(2).position(|window| window == b"\r\n") {
            let size = usize::from_str_radix(std::str::from_utf8(&body[..end]).unwrap().trim(), 16)
                .unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&body[end + 2..end + 2 + size]);
            body = &body[end + 2 + size + 2..];
        }
        out
    }
}

/// One Chromium at a time: on a 2-core machine several at once starve each other past
/// the checks' time limits.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// Runs `tests/browser/<check>.check.mjs` with `args`; fails with its output.
pub fn run_check(check: &str, args: &[&str]) {
    let _turn = ONE_BROWSER
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    if std::env::var_os("LOOPBOOK_SKIP_BROWSER_TESTS").is_some() {
        eprintln!("skipping browser check `{check}`: LOOPBOOK_SKIP_BROWSER_TESTS is set");
        return;
    }
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("LOOPBOOK_CHROMIUM").unwrap_or("/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).is_file(),
        "no Chromium at {chromium}: run `apt-get install -y chromium` (or .ci/run)"
    );
    assert!(
        scripts.join("node_modules/playwright-core").is_dir(),
        "browser test dependencies missing: run `npm ci --prefix tests/browser`"
    );
    let output = Command::new("node")
        .arg(scripts.join(format!("{check}.check.mjs")))
        .args(args)
        .output()
        .expect("node runs (install Node.js to run the browser tests)");
    assert!(
        output.status.success(),
        "browser check `{check}` failed\n--- stdout:\n{}\n--- stderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
