//! `loopbook serve`: build, serve, watch, rebuild, reload.
//!
//! Steps: bind the port (a busy one is an error naming it); build once, from the cache
//! file when it is current; start the HTTP server ([`http`]) and the watcher
//! ([`watch`]); then, for each quiet-separated batch of changes, rebuild incrementally
//! while holding requests back, print the diagnostics, and tell the open pages either
//! which files changed (they reload if they are among them) or what went wrong (they
//! show an overlay and keep the last good page). Ctrl-C stops after the rebuild in
//! progress, so the output is never left half-written.

pub mod http;
pub mod watch;

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{RwLock, broadcast, watch as signal};

use crate::build::{self, BuildError, BuildOptions, BuildReport, BuildState, Changes};
use crate::config::ConfigError;
use crate::diagnostics::{Diagnostic, Severity, SourceMap};
use http::{Message, Problem, Problems, Shared};
use watch::{BookWatcher, Change};

/// What the command line sets for `serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub build: BuildOptions,
    pub host: IpAddr,
    pub port: u16,
    /// Open the site in the default browser once it is served.
    pub open: bool,
    /// Poll the file system instead of using the system's notifications.
    pub poll: bool,
    /// Print diagnostics with colors.
    pub color: bool,
}

/// Why `serve` could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("port {port} on {host} is already in use")]
    PortInUse { host: IpAddr, port: u16 },
    #[error("cannot listen on {host}:{port}: {source}")]
    Bind {
        host: IpAddr,
        port: u16,
        source: std::io::Error,
    },
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Watch(#[from] watch::WatchError),
    #[error("cannot start the server: {0}")]
    Runtime(std::io::Error),
}

impl ServeError {
    /// How to get past the problem, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            ServeError::PortInUse { port, .. } => Some(format!(
                "stop the program using it, or choose another port: --port {}",
                port.wrapping_add(1).max(1024)
            )),
            ServeError::Watch(watch::WatchError::TooManyWatches(_)) => Some(
                "raise the limit (sysctl fs.inotify.max_user_watches=524288) or run with --poll"
                    .to_string(),
            ),
            _ => None,
        }
    }
}

/// Serves the book until Ctrl-C.
pub fn serve(options: &ServeOptions) -> Result<(), ServeError> {
    let listener = bind(options.host, options.port)?;
    let config = build::load_config(&options.build).map_err(BuildError::from)?;

    let mut state = build::cache::load(&config).unwrap_or_default();
    state.keep_documents = true;
    state.trust_checked_outputs = true;
    state.recycle_outputs = true;
    let changes = state.take_pending_changes();
    let report = state.rebuild(&options.build, &changes, &())?;
    print_report(&report, options.color, "Built");
    let output = std::fs::canonicalize(&report.output).unwrap_or(report.output.clone());

    let (messages, _) = broadcast::channel(64);
    let (stop_sender, stopping) = signal::channel(false);
    let shared = Arc::new(Shared {
        output,
        prefix: url_prefix(&config.build.base_url),
        gate: RwLock::new(()),
        messages,
        status: Mutex::new(http::Status {
            ok: report.written,
            ..http::Status::default()
        }),
        problems: Mutex::new(problems_of(&report)),
        stopping,
    });

    let (sender, receiver) = std::sync::mpsc::channel();
    let mut watcher = BookWatcher::start(&config, options.poll, sender)?;
    watcher.update(&config, &dependencies(&state))?;
    if report.written {
        build::cache::save(&config, &state);
    }

    let url = format!(
        "http://{}{}",
        SocketAddr::new(options.host, options.port),
        shared.prefix
    );
    eprintln!("Serving {url} (Ctrl-C to stop)");
    if !options.host.is_loopback() {
        eprintln!("warning: {} is reachable from other machines", options.host);
    }
    if options.open {
        open_browser(&url);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let rebuilder = {
        let shared = shared.clone();
        let stop = stop.clone();
        let options = options.clone();
        std::thread::spawn(move || {
            let mut loop_state = RebuildLoop {
                options,
                state,
                shared,
                watcher,
            };
            loop_state.run(&receiver, &stop);
        })
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let served = runtime.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let app = http::router(shared);
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                stop_requested().await;
                let _ = stop_sender.send(true);
            })
            .await
    });

    stop.store(true, Ordering::SeqCst);
    let _ = rebuilder.join();
    eprintln!("Stopped.");
    served.map_err(ServeError::Runtime)
}

/// Ctrl-C, or SIGTERM (what `kill` and service managers send): either stops the
/// server the same clean way, which leaves no spare or old output behind.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn bind(host: IpAddr, port: u16) -> Result<TcpListener, ServeError> {
    TcpListener::bind(SocketAddr::new(host, port)).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            ServeError::PortInUse { host, port }
        } else {
            ServeError::Bind { host, port, source }
        }
    })
}

/// The path part of the base URL, which the site is served under.
fn url_prefix(base_url: &str) -> String {
    let path = match base_url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |index| &rest[index..]),
        None => base_url,
    };
    let mut prefix = path.to_string();
    if !prefix.starts_with('/') {
        prefix.insert(0, '/');
    }
    if !prefix.ends_with('/') {
        prefix.push('/');
    }
    prefix
}

/// Every file the pages read, so their folders are watched even outside the sources.
fn dependencies(state: &BuildState) -> Vec<PathBuf> {
    state.dependency_paths()
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    if let Err(error) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("warning: could not open a browser ({opener}: {error}); open {url}");
    }
}

/// The watcher's batches in, rebuilds and messages out.
struct RebuildLoop {
    options: ServeOptions,
    state: BuildState,
    shared: Arc<Shared>,
    watcher: BookWatcher,
}

impl RebuildLoop {
    fn run(&mut self, receiver: &std::sync::mpsc::Receiver<Vec<Change>>, stop: &AtomicBool) {
        let stopped = || stop.load(Ordering::SeqCst);
        let mut rebuilt = false;
        while let Some(batch) = watch::gather(receiver, &stopped) {
            if stopped() {
                break;
            }
            self.rebuild(&batch);
            rebuilt = true;
        }
        // The cache is written once, on the way out, not after every rebuild; a serve
        // that dies leaves none, and the next build is a full one.
        if rebuilt
            && self.state.describes_output()
            && let Ok(config) = build::load_config(&self.options.build)
        {
            build::cache::save(&config, &self.state);
        }
    }

    fn rebuild(&mut self, batch: &[Change]) {
        let started = Instant::now();
        let changes = changes_of(batch);

        // Requests wait from here until the new pages are in place.
        let gate = self.shared.gate.blocking_write();
        let config = build::load_config(&self.options.build).ok();
        if let Some(config) = &config {
            // Outputs change in place now: a cache describing the old ones must not
            // outlive a crash in the middle.
            build::cache::remove(config);
        }
        let outcome = self.state.rebuild(&self.options.build, &changes, &());
        let message = self.record_outcome(&outcome);
        drop(gate);

        self.publish(message);
        match &outcome {
            Ok(report) => print_report(report, self.options.color, "Rebuilt"),
            Err(error) => print_error(error, self.options.color),
        }
        tracing::debug!(elapsed = ?started.elapsed(), "rebuilt and told the pages");
        if let (Ok(_), Some(config)) = (&outcome, &config) {
            let dependencies = dependencies(&self.state);
            if let Err(error) = self.watcher.update(config, &dependencies) {
                eprintln!("warning: {error}");
            }
        }
    }

    /// Counts the rebuild in the status and says what the pages must hear.
    fn record_outcome(&self, outcome: &Result<BuildReport, BuildError>) -> Message {
        match outcome {
            Ok(report) if report.written => {
                let mut status = self.shared.status.lock().unwrap_or_else(|p| p.into_inner());
                status.rebuilds += 1;
                status.ok = true;
                status.changed = report.changed.clone();
                Message::Reload(Arc::new(report.changed.clone()))
            }
            Ok(report) => self.failed(problems_of(report)),
            Err(error) => self.failed(Some(Arc::new(problems_of_error(error)))),
        }
    }

    /// Sends the message to every open page, clearing a failed build's overlay first
    /// when this one succeeded; pages that connect later get the current problems.
    fn publish(&self, message: Message) {
        let mut problems = self
            .shared
            .problems
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let had_problems = problems.take().is_some();
        match &message {
            Message::Problems(current) => *problems = Some(current.clone()),
            Message::Reload(_) if had_problems => {
                let _ = self.shared.messages.send(Message::Clear);
            }
            _ => {}
        }
        drop(problems);
        let _ = self.shared.messages.send(message);
    }

    fn failed(&self, problems: Option<Arc<Problems>>) -> Message {
        let mut status = self.shared.status.lock().unwrap_or_else(|p| p.into_inner());
        status.rebuilds += 1;
        status.ok = false;
        let problems = problems.unwrap_or_else(|| {
            Arc::new(Problems {
                title: "The site could not be written".to_string(),
                problems: Vec::new(),
            })
        });
        Message::Problems(problems)
    }
}

/// A batch of watcher changes as the build takes them.
fn changes_of(batch: &[Change]) -> Changes {
    if batch.iter().any(|change| matches!(change, Change::Rescan)) {
        return Changes::Unknown;
    }
    let paths: BTreeSet<PathBuf> = batch
        .iter()
        .filter_map(|change| change.path().map(PathBuf::from))
        .collect();
    Changes::Paths(paths)
}

/// The overlay's content for a build that found errors; `None` when it had none.
fn problems_of(report: &BuildReport) -> Option<Arc<Problems>> {
    if report.written {
        return None;
    }
    let problems = report
        .diagnostics
        .iter()
        .map(|diagnostic| problem(diagnostic, &report.sources))
        .collect();
    Some(Arc::new(Problems {
        title: format!(
            "The site has {} error{}; the last good pages are still served",
            report.errors(),
            if report.errors() == 1 { "" } else { "s" }
        ),
        problems,
    }))
}

fn problem(diagnostic: &Diagnostic, sources: &SourceMap) -> Problem {
    Problem {
        severity: match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        location: diagnostic
            .location
            .map(|location| sources.describe(location)),
        text: sources.render(diagnostic, false),
    }
}

fn problems_of_error(error: &BuildError) -> Problems {
    let problems = match error {
        BuildError::Config(ConfigError::Invalid {
            path,
            text,
            diagnostics,
        }) => {
            let sources = SourceMap::default();
            sources.add(
                path,
                crate::config::CONFIG_FILE.to_string(),
                text.as_str().into(),
            );
            diagnostics
                .iter()
                .map(|diagnostic| problem(diagnostic, &sources))
                .collect()
        }
        other => vec![Problem {
            severity: "error",
            location: None,
            text: other.to_string(),
        }],
    };
    Problems {
        title: "The book could not be built; the last good pages are still served".to_string(),
        problems,
    }
}

fn print_report(report: &BuildReport, color: bool, verb: &str) {
    for diagnostic in &report.diagnostics {
        eprintln!("{}\n", report.sources.render(diagnostic, color));
    }
    if report.written {
        eprintln!("{verb} {}", report.summary());
    } else {
        eprintln!(
            "Failed to build {}; still serving the last good pages",
            report.summary()
        );
    }
}

fn print_error(error: &BuildError, color: bool) {
    match error {
        BuildError::Config(ConfigError::Invalid {
            path,
            text,
            diagnostics,
        }) => {
            let sources = SourceMap::default();
            sources.add(
                path,
                crate::config::CONFIG_FILE.to_string(),
                text.as_str().into(),
            );
            for diagnostic in diagnostics {
                eprintln!("{}\n", sources.render(diagnostic, color));
            }
        }
        other => eprintln!("error: {other}"),
    }
    eprintln!("Build failed; still serving the last good pages");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_is_served_under_the_base_url_path() {
        assert_eq!(url_prefix("/"), "/");
        assert_eq!(url_prefix("/docs"), "/docs/");
        assert_eq!(url_prefix("https://docs.example.com/"), "/");
        assert_eq!(url_prefix("https://example.com/docs/"), "/docs/");
        assert_eq!(url_prefix("https://example.com"), "/");
    }

    #[test]
    fn a_busy_port_is_named() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let error = bind("127.0.0.1".parse().unwrap(), port).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("port {port} on 127.0.0.1 is already in use")
        );
        assert!(error.hint().unwrap().contains("--port"));
    }
}
