//! `[redirects]`: old paths that must keep working after pages moved.
//!
//! Steps: make each old path an output path (`old/` and an extension-less `old` mean
//! `old/index.html`); find the page each new path names (its output path in either URL
//! style, its published path, its document name or its source file, with an optional
//! `#fragment`); refuse, at the key's line in `book.toml`, a target that is not a page
//! and an old path that a page, a file of the site or another redirect already takes.
//! Each redirect then becomes a small page (an immediate refresh, a canonical link and a
//! plain link for readers), and all of them one `_redirects` file, which Netlify and
//! Cloudflare Pages answer with real `301`s.

use std::collections::{BTreeSet, HashMap};

use crate::config::{self, Config};
use crate::diagnostics::{Diagnostic, Severity};
use crate::doc::Location;
use crate::render::escape::{html_attribute, html_text, url_path};
use crate::resolve::{Site, urls};

/// One checked redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The old path, as an output path (`ecommerce/custom.html`, `old/index.html`).
    pub from: String,
    /// The page it leads to.
    pub page: usize,
    pub fragment: Option<String>,
    /// The key's line in `book.toml`.
    pub location: Option<Location>,
}

/// Checks `[redirects]` against the site. `taken` holds every other output path;
/// `book_toml` is the configuration's text, for pointing at lines.
pub fn plan(
    config: &Config,
    site: &Site,
    taken: &BTreeSet<String>,
    book_toml: &str,
) -> (Vec<Redirect>, Vec<Diagnostic>) {
    let targets = page_aliases(config, site);
    let mut redirects: Vec<Redirect> = Vec::new();
    let mut diagnostics = Vec::new();

    for (old, new) in &config.redirects {
        let location = config::key_location(book_toml, "redirects", old);
        let problem = |message: String, hint: &str| {
            Diagnostic::new(Severity::Error, location, message)
                .with_code("invalid-redirect")
                .with_hint(hint.to_string())
        };

        let Some(from) = old_output_path(config, old) else {
            diagnostics.push(problem(
                format!("redirect from `{old}` is not a path inside the site"),
                "write the old path relative to the site root, like \"guide/old-name.html\"",
            ));
            continue;
        };
        let (path, fragment) = match new.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment.to_string())),
            None => (new.as_str(), None),
        };
        let Some(&page) = targets.get(strip_base(config, path)) else {
            let known: Vec<&str> = targets.keys().map(String::as_str).collect();
            let hint = match config::nearest(strip_base(config, path), &known) {
                Some(nearest) => format!("did you mean `{nearest}`?"),
                None => "name the new page by its path, like \"guide/setup.html\"".into(),
            };
            diagnostics.push(problem(
                format!("redirect target `{new}` is not a page of this site"),
                &hint,
            ));
            continue;
        };
        if taken.contains(&from) {
            diagnostics.push(problem(
                format!("redirect from `{old}` would replace `{from}`, which the site writes"),
                "remove the redirect, or move the page or file away from the old path",
            ));
            continue;
        }
        if redirects.iter().any(|redirect| redirect.from == from) {
            diagnostics.push(problem(
                format!("`{old}` is redirected twice (both written to `{from}`)"),
                "keep one of the two entries",
            ));
            continue;
        }
        redirects.push(Redirect {
            from,
            page,
            fragment,
            location,
        });
    }
    (redirects, diagnostics)
}

/// Every name a redirect target may use for a page, mapped to the page.
fn page_aliases(config: &Config, site: &Site) -> HashMap<String, usize> {
    let mut aliases = HashMap::new();
    for (number, page) in site.pages.iter().enumerate() {
        let other_style = urls::page_output_path(&page.doc_name, !config.build.pretty_urls);
        let public = urls::public_path(&page.output);
        let names = [
            page.output.clone(),
            other_style,
            public.to_string(),
            public.trim_end_matches('/').to_string(),
            page.doc_name.clone(),
            page.source.rel.clone(),
        ];
        for name in names {
            aliases.entry(name).or_insert(number);
        }
    }
    aliases
}

/// A path as written in `[redirects]`, without the base URL's path or a leading `/`.
fn strip_base<'p>(config: &Config, path: &'p str) -> &'p str {
    let base = config.base_path();
    let path = if base != "/" {
        path.strip_prefix(base.as_str()).unwrap_or(path)
    } else {
        path
    };
    path.trim_start_matches('/')
}

/// The output file an old path is answered from; `None` for what is not a plain path.
fn old_output_path(config: &Config, old: &str) -> Option<String> {
    let path = strip_base(config, old.trim());
    let unsafe_part = path.split('/').any(|part| part == ".." || part == ".")
        || path.contains(['?', '#', '\\', '*', ':']);
    if unsafe_part {
        return None;
    }
    if path.is_empty() || path.ends_with('/') {
        return Some(format!("{path}index.html"));
    }
    let last = path.rsplit('/').next().unwrap_or(path);
    if last.contains('.') {
        Some(path.to_string())
    } else {
        Some(format!("{path}/index.html"))
    }
}

/// The redirect page: refreshes at once to the new page, and tells crawlers and readers
/// where it went.
pub fn page_html(config: &Config, site: &Site, redirect: &Redirect) -> String {
    let page = &site.pages[redirect.page];
    let mut target = urls::relative_link(&redirect.from, &page.output);
    if let Some(fragment) = &redirect.fragment {
        target.push('#');
        target.push_str(fragment);
    }
    let canonical = if config.has_absolute_base_url() {
        format!(
            "{}{}",
            config.base_url(),
            published(page.output.as_str(), redirect)
        )
    } else {
        target.clone()
    };
    // The refresh drops the fragment a reader arrived with; the script keeps it when
    // the target names none of its own.
    let keep_fragment = if redirect.fragment.is_none() {
        "\n<script>location.replace(document.getElementById(\"lb-target\").href + location.hash)\
         </script>"
    } else {
        ""
    };
    let title = html_text(&page.title);
    let target = html_attribute(&target);
    format!(
        "<!DOCTYPE html>\n<html lang=\"{language}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Moved: {title}</title>\n\
         <meta http-equiv=\"refresh\" content=\"0; url={target}\">\n\
         <link rel=\"canonical\" href=\"{canonical}\">\n\
         <meta name=\"robots\" content=\"noindex\">\n</head>\n<body>\n\
         <p>This page has moved to <a id=\"lb-target\" href=\"{target}\">{title}</a>.</p>\
         {keep_fragment}\n</body>\n</html>\n",
        language = html_attribute(&config.book.language),
        canonical = html_attribute(&canonical),
    )
}

/// The page's published path with the redirect's fragment, percent-encoded.
fn published(output: &str, redirect: &Redirect) -> String {
    let mut path = url_path(urls::public_path(output));
    if let Some(fragment) = &redirect.fragment {
        path.push('#');
        path.push_str(&url_path(fragment));
    }
    path
}

/// `_redirects` in the format Netlify and Cloudflare Pages share: `old new 301`, both
/// as paths from the domain root.
pub fn redirects_file(config: &Config, site: &Site, redirects: &[Redirect]) -> String {
    let base = config.base_path();
    let mut text = String::from(
        "# Written by loopbook from [redirects] in book.toml: old path, new path, status.\n",
    );
    for redirect in redirects {
        let from = url_path(urls::public_path(&redirect.from));
        let to = published(&site.pages[redirect.page].output, redirect);
        text.push_str(&format!("{base}{from} {base}{to} 301\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config_with(base: &str) -> Config {
        let text = format!("[build]\nbase-url = \"{base}\"\n");
        config::parse(Path::new("/b"), Path::new("/b/book.toml"), text).unwrap()
    }

    #[test]
    fn old_paths_become_output_files() {
        let config = config_with("/docs/");
        let cases = [
            ("ecommerce/custom.html", Some("ecommerce/custom.html")),
            ("/docs/old.html", Some("old.html")),
            ("old-section/", Some("old-section/index.html")),
            ("old-section", Some("old-section/index.html")),
            ("", Some("index.html")),
            ("../etc/passwd", None),
            ("a b.html", Some("a b.html")),
            ("https://x.example/a", None),
        ];
        for (old, expected) in cases {
            assert_eq!(old_output_path(&config, old).as_deref(), expected, "{old}");
        }
    }
}
