//! The HTTP side of `serve`: the output folder as a static host would serve it, plus
//! the live-reload channel.
//!
//! Steps per request: wait while a rebuild is running (it holds the [`Gate`]); map the
//! URL to a file strictly inside the output folder (one percent-decoding, no `.` or
//! `..` segments, no symbolic link out of the folder); answer folders with their
//! `index.html` (redirecting `/invite` to `/invite/`), anything missing with the site's
//! own `404.html` and status 404, never a listing; and add the reload script to HTML.
//! `/__loopbook/events` is the server-sent-events stream the script listens to,
//! `/__loopbook/status` a small JSON summary of the rebuilds so far.

use std::convert::Infallible;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::stream::{self, Stream};
use serde::Serialize;
use tokio::sync::{RwLock, broadcast, watch};

/// The script every served HTML page gets.
pub const RELOAD_SCRIPT: &str = include_str!("reload.js");

/// Held for writing while a rebuild runs, so requests wait for its result.
pub type Gate = RwLock<()>;

/// A message to every open page.
#[derive(Debug, Clone)]
pub enum Message {
    /// A rebuild is in place; these output paths changed.
    Reload(Arc<Vec<String>>),
    /// The last rebuild failed; the previous pages stay.
    Problems(Arc<Problems>),
    /// A rebuild succeeded after a failure.
    Clear,
}

/// What the overlay shows.
#[derive(Debug, Clone, Serialize)]
pub struct Problems {
    pub title: String,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// `error` or `warning`.
    pub severity: &'static str,
    /// `file:line:column`, when the problem has a place.
    pub location: Option<String>,
    /// The diagnostic as the terminal shows it (message, excerpt, hint), without colors.
    pub text: String,
}

/// What the status endpoint reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    /// Rebuilds run since the server started (the first build is not counted).
    pub rebuilds: u64,
    /// Whether the last build succeeded.
    pub ok: bool,
    /// Output paths the last successful rebuild changed.
    pub changed: Vec<String>,
}

/// What the request handlers share with the rebuild loop.
pub struct Shared {
    /// The output folder, with symbolic links resolved.
    pub output: PathBuf,
    /// The URL path the site is served under (`/` or the base URL's path, `/docs/`).
    pub prefix: String,
    pub gate: Gate,
    pub messages: broadcast::Sender<Message>,
    pub status: Mutex<Status>,
    /// The problems of the last build, for pages that connect after it failed.
    pub problems: Mutex<Option<Arc<Problems>>>,
    /// Becomes true when the server stops, which ends every event stream.
    pub stopping: watch::Receiver<bool>,
}

/// The router: events, status, script, and every other path a file of the site.
pub fn router(shared: Arc<Shared>) -> Router {
    let prefix = shared.prefix.clone();
    let mut router = Router::new()
        .route(&format!("{prefix}__loopbook/events"), get(events))
        .route(&format!("{prefix}__loopbook/status"), get(status))
        .route(&format!("{prefix}__loopbook/reload.js"), get(script));
    if prefix != "/" {
        // The site lives under its base path; the bare host leads there.
        let target = prefix.clone();
        router = router.route("/", get(move || async move { redirect(&target) }));
    }
    router.fallback(files).with_state(shared)
}

async fn script() -> Response {
    let mut response = RELOAD_SCRIPT.into_response();
    set_type(&mut response, "text/javascript; charset=utf-8");
    no_store(&mut response);
    response
}

async fn status(State(shared): State<Arc<Shared>>) -> Response {
    let _wait = shared.gate.read().await;
    let status = shared
        .status
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .clone();
    let mut response = serde_json::to_string(&status)
        .unwrap_or_default()
        .into_response();
    set_type(&mut response, "application/json");
    no_store(&mut response);
    response
}

/// The event stream: the current problems first (if any), then every message.
async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = shared.messages.subscribe();
    let current = shared
        .problems
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .clone();
    let first = current.map(Message::Problems);
    let stopping = shared.stopping.clone();
    let stream = stream::unfold(
        (first, receiver, stopping),
        |(first, mut receiver, mut stopping)| async move {
            if let Some(message) = first {
                return Some((Ok(event_of(&message)), (None, receiver, stopping)));
            }
            loop {
                tokio::select! {
                    received = receiver.recv() => match received {
                        Ok(message) => {
                            return Some((Ok(event_of(&message)), (None, receiver, stopping)));
                        }
                        // A page that fell behind only needs the latest state.
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    _ = stopping.changed() => return None,
                }
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn event_of(message: &Message) -> Event {
    match message {
        Message::Reload(changed) => Event::default()
            .event("reload")
            .data(serde_json::json!({ "changed": &**changed }).to_string()),
        Message::Problems(problems) => Event::default()
            .event("problems")
            .data(serde_json::to_string(&**problems).unwrap_or_default()),
        Message::Clear => Event::default().event("clear").data("{}"),
    }
}

/// Every other request: a file of the site.
async fn files(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let _wait = shared.gate.read().await;
    let response = match locate(&shared.output, &shared.prefix, uri.path()) {
        Located::File(path) => file_response(&shared, &path, StatusCode::OK),
        Located::Folder => redirect(&format!("{}/", uri.path())),
        Located::Missing => not_found(&shared),
    };
    if method == Method::HEAD {
        let (parts, _) = response.into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    response
}

/// Where a request path leads inside the output folder.
#[derive(Debug, PartialEq, Eq)]
pub enum Located {
    File(PathBuf),
    /// A folder named without its trailing slash: relative links need one.
    Folder,
    Missing,
}

/// Maps a request path to a file inside `output`, or says why not. The path is decoded
/// once (`%252e` stays a literal `%2e`), and any segment that could climb out, any
/// hidden file and any symbolic link that leads outside the folder counts as missing.
pub fn locate(output: &Path, prefix: &str, request_path: &str) -> Located {
    let Some(rest) = request_path.strip_prefix(prefix) else {
        return Located::Missing;
    };
    let Some(decoded) = percent_decode(rest) else {
        return Located::Missing;
    };
    let mut relative = PathBuf::new();
    for segment in decoded.split('/') {
        if segment.is_empty() {
            continue;
        }
        let unsafe_segment = segment == "."
            || segment == ".."
            || segment.starts_with('.')
            || segment.contains(['\\', '\0']);
        if unsafe_segment {
            return Located::Missing;
        }
        relative.push(segment);
    }
    if relative
        .components()
        .any(|component| !matches!(component, Component::Normal(_)))
    {
        return Located::Missing;
    }

    let mut path = output.join(&relative);
    if path.is_dir() {
        // Folders are never listed: one without an index page does not exist.
        if !path.join("index.html").is_file() {
            return Located::Missing;
        }
        if !decoded.is_empty() && !decoded.ends_with('/') {
            return Located::Folder;
        }
        path.push("index.html");
    }
    // The real location must still be inside the output (a link may point elsewhere).
    match std::fs::canonicalize(&path) {
        Ok(real) if real.starts_with(output) && real.is_file() => Located::File(real),
        _ => Located::Missing,
    }
}

/// Decodes `%XX` escapes once; `None` for a malformed escape or text that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn file_response(shared: &Shared, path: &Path, status: StatusCode) -> Response {
    let Ok(bytes) = std::fs::read(path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let kind = content_type(path);
    let body = if kind.starts_with("text/html") {
        Body::from(inject_script(bytes, &shared.prefix))
    } else {
        Body::from(bytes)
    };
    let mut response = (status, body).into_response();
    set_type(&mut response, kind);
    no_store(&mut response);
    response
}

fn not_found(shared: &Shared) -> Response {
    let page = shared.output.join("404.html");
    if page.is_file() {
        return file_response(shared, &page, StatusCode::NOT_FOUND);
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Adds the reload script before `</body>` (or at the end of a page without one).
pub fn inject_script(mut html: Vec<u8>, prefix: &str) -> Vec<u8> {
    let tag =
        format!("<script src=\"{prefix}__loopbook/reload.js\" data-root=\"{prefix}\"></script>");
    let closing = b"</body>";
    let at = html
        .windows(closing.len())
        .rposition(|window| window.eq_ignore_ascii_case(closing))
        .unwrap_or(html.len());
    html.splice(at..at, tag.into_bytes());
    html
}

fn set_type(response: &mut Response, kind: &str) {
    if let Ok(value) = HeaderValue::from_str(kind) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
}

/// Pages change under the reader while serving: never let the browser reuse them.
fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The content type of a site file, by extension.
pub fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("xml") => "application/xml",
        Some("txt") => "text/plain; charset=utf-8",
        Some("md") => "text/markdown; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("avif") => "image/avif",
        Some("ico") => "image/x-icon",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("ttf") => "font/ttf",
        Some("otf") => "font/otf",
        Some("wasm") => "application/wasm",
        Some("pdf") => "application/pdf",
        Some("mp4") => "video/mp4",
        Some("webm") => "video/webm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let output = root.join("public");
        std::fs::create_dir_all(output.join("invite")).unwrap();
        std::fs::write(output.join("index.html"), "home").unwrap();
        std::fs::write(output.join("invite/index.html"), "invite").unwrap();
        std::fs::write(output.join("a b.html"), "spaced").unwrap();
        std::fs::write(root.join("secret.txt"), "secret").unwrap();
        (dir, output)
    }

    #[test]
    fn folders_answer_with_their_index_and_names_are_decoded_once() {
        let (_dir, output) = site();
        assert_eq!(
            locate(&output, "/", "/"),
            Located::File(output.join("index.html"))
        );
        assert_eq!(
            locate(&output, "/", "/invite/"),
            Located::File(output.join("invite/index.html"))
        );
        assert_eq!(locate(&output, "/", "/invite"), Located::Folder);
        assert_eq!(
            locate(&output, "/", "/a%20b.html"),
            Located::File(output.join("a b.html"))
        );
        assert_eq!(locate(&output, "/docs/", "/index.html"), Located::Missing);
    }

    #[test]
    fn no_request_path_leaves_the_output_folder() {
        let (_dir, output) = site();
        std::os::unix::fs::symlink(
            output.parent().unwrap().join("secret.txt"),
            output.join("link.txt"),
        )
        .unwrap();
        for attempt in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E%2Fsecret.txt",
            "/%252e%252e/secret.txt",
            "/invite/..%2f..%2fsecret.txt",
            "/..\\secret.txt",
            "/link.txt",
            "/%00",
            "/%zz",
            "/.loopbook",
        ] {
            assert_eq!(locate(&output, "/", attempt), Located::Missing, "{attempt}");
        }
    }

    #[test]
    fn the_script_goes_before_the_closing_body_tag() {
        let html = inject_script(b"<html><body><p>x</p></body></html>".to_vec(), "/");
        assert_eq!(
            String::from_utf8(html).unwrap(),
            "<html><body><p>x</p><script src=\"/__loopbook/reload.js\" data-root=\"/\"></script></body></html>"
        );
        let bare = inject_script(b"plain".to_vec(), "/docs/");
        assert!(String::from_utf8(bare).unwrap().starts_with("plain<script"));
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(
            content_type(Path::new("a.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("x/y.CSS")),
            "text/css; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("s.svg")), "image/svg+xml");
        assert_eq!(content_type(Path::new("blob")), "application/octet-stream");
    }
}
