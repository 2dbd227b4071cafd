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
