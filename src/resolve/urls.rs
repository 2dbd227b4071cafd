//! Where each page is written and how one output file links to another.
//!
//! `guide/setup.md` is written to `guide/setup.html`, or `guide/setup/index.html` with
//! pretty URLs; `index.md` and mdBook's `README.md` are their folder's index. Links
//! between output files are relative, so the site works opened from disk and under any
//! base URL.

/// The output path (relative to the output folder) of the page with document name
/// `doc_name` (its source path without extension).
pub fn page_output_path(doc_name: &str, pretty: bool) -> String {
    let (folder, stem) = match doc_name.rsplit_once('/') {
        Some((folder, stem)) => (format!("{folder}/"), stem),
        None => (String::new(), doc_name),
    };
    if stem == "index" || stem == "README" {
        return format!("{folder}index.html");
    }
    if pretty {
        format!("{folder}{stem}/index.html")
    } else {
        format!("{folder}{stem}.html")
    }
}

/// The relative prefix from the folder of `from` (an output path) to the output root:
/// `""`, `"../"`, `"../../"`, …
pub fn root_prefix(from: &str) -> String {
    "../".repeat(from.matches('/').count())
}

/// A relative link from output file `from` to output file `to`. Links to an
/// `index.html` keep the file name so they work from disk as well as on a server.
pub fn relative_link(from: &str, to: &str) -> String {
    let from_dirs: Vec<&str> = from.split('/').collect();
    let from_dirs = &from_dirs[..from_dirs.len() - 1];
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from_dirs
        .iter()
        .zip(&to_parts[..to_parts.len() - 1])
        .take_while(|(a, b)| a == b)
        .count();
    let mut link = "../".repeat(from_dirs.len() - common);
    link.push_str(&to_parts[common..].join("/"));
    link
}

/// The path a server publishes an output file under, relative to the base URL: a
/// folder's `index.html` is served at the folder (`guide/` for `guide/index.html`, and
/// the empty path for the root), anything else at its own name. Canonical links,
/// sitemaps and redirects use this form; links between pages keep the file name.
pub fn public_path(output: &str) -> &str {
    match output.strip_suffix("index.html") {
        Some(folder) if folder.is_empty() || folder.ends_with('/') => folder,
        _ => output,
    }
}

/// The output path a relative link written in output file `from` points at, with `.`
/// and `..` worked out (`guide/a.html` + `../img/x.png` = `img/x.png`); `None` when the
/// link climbs out of the output folder. `link` is a path only, without `?` or `#`.
pub fn resolve_relative(from: &str, link: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in link.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    let mut resolved = parts.join("/");
    // A link ending in `/` names the folder's index.
    if link.ends_with('/') {
        if !resolved.is_empty() {
            resolved.push('/');
        }
        resolved.push_str("index.html");
    }
    Some(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_in_both_styles() {
        assert_eq!(page_output_path("guide/setup", false), "guide/setup.html");
        assert_eq!(
            page_output_path("guide/setup", true),
            "guide/setup/index.html"
        );
        assert_eq!(page_output_path("guide/index", true), "guide/index.html");
        assert_eq!(page_output_path("README", false), "index.html");
        assert_eq!(page_output_path("api/README", false), "api/index.html");
    }

    #[test]
    fn relative_links_resolve_to_output_paths() {
        assert_eq!(
            resolve_relative("guide/a.html", "../img/x.png").as_deref(),
            Some("img/x.png")
        );
        assert_eq!(
            resolve_relative("guide/a.html", "b.html").as_deref(),
            Some("guide/b.html")
        );
        assert_eq!(
            resolve_relative("guide/a/index.html", "./").as_deref(),
            Some("guide/a/index.html")
        );
        assert_eq!(
            resolve_relative("a.html", "sub/").as_deref(),
            Some("sub/index.html")
        );
        assert_eq!(resolve_relative("guide/a.html", "../../x.html"), None);
        assert_eq!(resolve_relative("guide/a.html", "..").as_deref(), Some(""));
    }

    #[test]
    fn folder_indexes_are_published_at_the_folder() {
        assert_eq!(public_path("index.html"), "");
        assert_eq!(public_path("guide/setup/index.html"), "guide/setup/");
        assert_eq!(public_path("guide/setup.html"), "guide/setup.html");
        assert_eq!(public_path("guide/notindex.html"), "guide/notindex.html");
    }

    #[test]
    fn relative_links_between_folders() {
        assert_eq!(relative_link("a/b.html", "a/c.html"), "c.html");
        assert_eq!(relative_link("a/b.html", "index.html"), "../index.html");
        assert_eq!(relative_link("index.html", "a/b/c.html"), "a/b/c.html");
        assert_eq!(
            relative_link("a/x/index.html", "a/y/index.html"),
            "../y/index.html"
        );
        assert_eq!(root_prefix("a/b/c.html"), "../../");
        assert_eq!(root_prefix("index.html"), "");
    }
}
