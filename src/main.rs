//! The `loopbook` command line: parses arguments, sets up output, runs one library
//! function per command, prints diagnostics and picks the exit code
//! (0 success, 1 the site has errors, 2 bad usage or unreadable configuration).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use loopbook::build::{BuildOptions, BuildReport, Progress};
use loopbook::check::CheckOptions;
use loopbook::config::{CONFIG_FILE, ConfigError};
use loopbook::diagnostics::{Diagnostic, SourceMap};

#[derive(Parser)]
#[command(
    name = "loopbook",
    version,
    about = "Integration documentation, built fast"
)]
struct Cli {
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print per-stage details.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// When to color the output.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into the output folder.
    Build {
        /// The folder holding book.toml.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Write the site here instead of `[build] build-dir`.
        #[arg(long)]
        dest_dir: Option<PathBuf>,
        /// Publish under this URL or path (`/docs/`, `https://docs.example.com/`).
        #[arg(long)]
        base_url: Option<String>,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
        /// Ignore the cache of the previous build and build every page.
        #[arg(long)]
        no_cache: bool,
    },
    /// Build, serve on 127.0.0.1, rebuild on every change and reload the browser.
    #[cfg(feature = "serve")]
    Serve {
        /// The folder holding book.toml.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The address to listen on; anything but 127.0.0.1 exposes the site.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Open the site in the default browser.
        #[arg(long)]
        open: bool,
        /// Poll for changes instead of using file-system notifications (network drives,
        /// containers, or when the inotify watch limit is reached).
        #[arg(long)]
        poll: bool,
        /// Write the site here instead of `[build] build-dir`.
        #[arg(long)]
        dest_dir: Option<PathBuf>,
    },
    /// Check the book without writing it: everything the build checks, plus every
    /// internal link, anchor and file the rendered pages use.
    Check {
        /// The folder holding book.toml.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// `human` (grouped by file, with excerpts) or `json` (one object per line).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
    },
    /// Start a new book in DIR.
    Init {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Run as an mdBook preprocessor (`command = "loopbook mdbook"`).
    Mdbook {
        #[command(subcommand)]
        action: Option<MdbookAction>,
    },
}

#[derive(Subcommand)]
enum MdbookAction {
    /// Exit 0 when loopbook can preprocess for RENDERER, 1 otherwise.
    Supports { renderer: String },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// How to print: colors on or off, and how chatty.
struct Output {
    color: bool,
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    init_logging(cli.verbose, color);
    let output = Output {
        color,
        quiet: cli.quiet,
    };

    let code = run(cli.command, &output);
    // Old outputs are deleted in the background while the summary prints.
    loopbook::write::remove_spares();
    loopbook::write::wait_for_deletions();
    code
}

fn run(command: Command, output: &Output) -> ExitCode {
    match command {
        Command::Build {
            dir,
            dest_dir,
            base_url,
            strict,
            no_cache,
        } => {
            let options = BuildOptions {
                dir,
                dest_dir,
                base_url,
                strict,
                no_cache,
            };
            run_build(&options, output)
        }
        Command::Check {
            dir,
            format,
            strict,
        } => {
            let options = CheckOptions { dir, strict };
            run_check(&options, format, output)
        }
        #[cfg(feature = "serve")]
        Command::Serve {
            dir,
            host,
            port,
            open,
            poll,
            dest_dir,
        } => {
            let options = loopbook::serve::ServeOptions {
                build: BuildOptions {
                    dir,
                    dest_dir,
                    ..BuildOptions::default()
                },
                host,
                port,
                open,
                poll,
                color: output.color,
            };
            run_serve(&options, output)
        }
        Command::Init { dir } => run_init(&dir, output),
        Command::Mdbook { action: None } => run_mdbook(output),
        Command::Mdbook {
            action: Some(MdbookAction::Supports { renderer }),
        } => {
            if loopbook::mdbook::supports(&renderer) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn init_logging(verbose: bool, color: bool) {
    let default = if verbose {
        "loopbook=debug"
    } else {
        "loopbook=warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LOOPBOOK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(color)
        .with_writer(std::io::stderr)
        .without_time()
        .init();
}

fn run_build(options: &BuildOptions, output: &Output) -> ExitCode {
    let progress = DelayedBar::new(!output.quiet && std::io::stderr().is_terminal());
    let result = loopbook::build::build(options, &progress);
    progress.finish();
    match result {
        Ok(report) => print_report(&report, output),
        Err(loopbook::build::BuildError::Config(error)) => print_config_error(&error, output),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn run_check(options: &CheckOptions, format: Format, output: &Output) -> ExitCode {
    let report = match loopbook::check::check(options) {
        Ok(report) => report,
        Err(loopbook::build::BuildError::Config(error)) if format == Format::Json => {
            print!("{}", loopbook::check::render_config_error_json(&error));
            return ExitCode::from(2);
        }
        Err(loopbook::build::BuildError::Config(error)) => {
            return print_config_error(&error, output);
        }
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    match format {
        Format::Json => print!("{}", loopbook::check::render_json(&report)),
        Format::Human if output.quiet && !report.failed() => {}
        Format::Human => eprint!("{}", loopbook::check::render_human(&report, output.color)),
    }
    if report.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(feature = "serve")]
fn run_serve(options: &loopbook::serve::ServeOptions, output: &Output) -> ExitCode {
    use loopbook::serve::ServeError;
    match loopbook::serve::serve(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ServeError::Build(loopbook::build::BuildError::Config(error))) => {
            print_config_error(&error, output)
        }
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(hint) = error.hint() {
                eprintln!("help: {hint}");
            }
            ExitCode::from(2)
        }
    }
}

fn print_report(report: &BuildReport, output: &Output) -> ExitCode {
    for diagnostic in &report.diagnostics {
        if output.quiet && !diagnostic.is_error() {
            continue;
        }
        eprintln!("{}\n", report.sources.render(diagnostic, output.color));
    }
    let errors = report.errors();
    if !output.quiet || errors > 0 {
        let verb = if report.written {
            "Built"
        } else {
            "Failed to build"
        };
        let destination = if report.written {
            format!(" -> {}", report.output.display())
        } else {
            "; the previous output is untouched".to_string()
        };
        eprintln!("{verb} {}{destination}", report.summary());
    }
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_config_error(error: &ConfigError, output: &Output) -> ExitCode {
    let display_path = match error {
        ConfigError::Invalid { path, .. } => display_name(path),
        ConfigError::Missing(_) | ConfigError::Unreadable { .. } => CONFIG_FILE.to_string(),
    };
    let (sources, diagnostics) = error.diagnostics(&display_path);
    for diagnostic in &diagnostics {
        eprintln!("{}\n", sources.render(diagnostic, output.color));
    }
    ExitCode::from(2)
}

fn display_name(path: &Path) -> String {
    let current = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&current)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn run_init(dir: &Path, output: &Output) -> ExitCode {
    match loopbook::init::init(dir) {
        Ok(written) => {
            if !output.quiet {
                for path in &written {
                    eprintln!("created {}", dir.join(path).display());
                }
                eprintln!("next: `loopbook build {}`", dir.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            let report = Diagnostic::new(
                loopbook::diagnostics::Severity::Error,
                None,
                error.to_string(),
            )
            .with_code("init-failed");
            eprintln!("{}", SourceMap::default().render(&report, output.color));
            ExitCode::from(2)
        }
    }
}

/// Reads mdBook's JSON from standard input and writes the book to standard output.
/// Diagnostics go to standard error; an error makes mdBook's build fail.
fn run_mdbook(output: &Output) -> ExitCode {
    let mut input = String::new();
    if let Err(error) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut input) {
        eprintln!("error: cannot read mdBook's input: {error}");
        return ExitCode::from(1);
    }
    let processed = match loopbook::mdbook::process(&input) {
        Ok(processed) => processed,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    for diagnostic in &processed.diagnostics {
        if output.quiet && !diagnostic.is_error() {
            continue;
        }
        eprintln!("{}\n", processed.sources.render(diagnostic, output.color));
    }
    if processed.has_errors() {
        eprintln!("loopbook: the book has errors; mdBook stops here");
        return ExitCode::from(1);
    }
    println!("{}", processed.book);
    ExitCode::SUCCESS
}

/// A progress bar that only appears when a build runs longer than half a second, so
/// quick builds print nothing but their summary line.
struct DelayedBar {
    bar: Option<ProgressBar>,
}

impl DelayedBar {
    fn new(enabled: bool) -> Self {
        let bar = enabled.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {pos}/{len} pages {wide_bar}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let delayed = bar.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(500));
                if !delayed.is_finished() {
                    delayed.set_draw_target(ProgressDrawTarget::stderr());
                    delayed.enable_steady_tick(Duration::from_millis(120));
                }
            });
            bar
        });
        Self { bar }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for DelayedBar {
    fn start(&self, pages: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(pages as u64);
        }
    }

    fn page_done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

// glibc's allocator spent a seventh of a build's time in malloc and free across the
// render threads; mimalloc's per-thread heaps cost a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
