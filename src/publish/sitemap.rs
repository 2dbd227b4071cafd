//! `sitemap.xml` and `robots.txt`.
//!
//! The sitemap lists every page (and the invite page) at the address a server
//! publishes it under (absolute when `base-url` is, else root-relative), in
//! output-path order, with the time its newest source (the page or a file it includes)
//! was last modified, so the file changes only when the sources do. `robots.txt`
//! allows everything and names it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;

use crate::config::Config;
use crate::render::escape::{url_path, xml_text};
use crate::resolve::{Site, urls};

/// A page of the site that no source page makes (the invite page).
pub struct ExtraPage {
    pub output: String,
    /// The files it is made from, for its modification time.
    pub sources: Vec<PathBuf>,
}

/// Files' modification times known without asking the file system (`None`: missing).
pub type KnownTimes = HashMap<PathBuf, Option<SystemTime>>;

/// The sitemap's text: every page of `site` and the `extra` ones; the files' times are
/// taken from `known` or else from the file system.
pub fn sitemap(config: &Config, site: &Site, extra: &[ExtraPage], known: &KnownTimes) -> String {
    let base = site_address(config);
    let made_from_sources = site
        .pages
        .iter()
        .map(|page| (page.output.as_str(), page.dependencies.as_slice()));
    let others = extra
        .iter()
        .map(|page| (page.output.as_str(), page.sources.as_slice()));
    let listed: Vec<(&str, &[PathBuf])> = made_from_sources.chain(others).collect();
    // One `stat` per source file not known: in parallel, since a large site has many.
    let mut pages: Vec<(&str, Option<String>)> = listed
        .into_par_iter()
        .map(|(output, sources)| {
            let newest = sources
                .iter()
                .filter_map(|path| modified(path, known))
                .max();
            (output, newest.map(w3c_datetime))
        })
        .collect();
    pages.sort();

    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (output, modified) in pages {
        let address = format!("{base}{}", url_path(urls::public_path(output)));
        xml.push_str(&format!("  <url><loc>{}</loc>", xml_text(&address)));
        if let Some(modified) = modified {
            xml.push_str(&format!("<lastmod>{modified}</lastmod>"));
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

/// `robots.txt`: every crawler welcome, pointed at the sitemap.
pub fn robots(config: &Config) -> String {
    let sitemap = format!("{}sitemap.xml", site_address(config));
    let mut text = String::from("User-agent: *\nDisallow:\n\n");
    if !config.has_absolute_base_url() {
        text.push_str(
            "# Crawlers only follow an absolute sitemap address: set `[build] base-url`\n\
             # to the site's full URL (https://...) to give them one.\n",
        );
    }
    text.push_str(&format!("Sitemap: {sitemap}\n"));
    text
}

/// What addresses of the site start with: the whole base URL when it is absolute, else
/// its path.
fn site_address(config: &Config) -> String {
    if config.has_absolute_base_url() {
        config.base_url()
    } else {
        config.base_path()
    }
}

fn modified(path: &Path, known: &KnownTimes) -> Option<SystemTime> {
    match known.get(path) {
        Some(time) => *time,
        None => modification_time(path),
    }
}

/// The file's modification time; `None` when it is missing.
pub fn modification_time(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
}

/// `2024-05-01T09:30:00Z`: the W3C date-time form sitemaps use, in UTC, to the second.
fn w3c_datetime(time: SystemTime) -> String {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |duration| duration.as_secs());
    let (days, of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_date(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// days-from-civil algorithm, run backwards).
fn civil_date(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_utc_w3c_datetimes() {
        let at = |seconds| w3c_datetime(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(at(4_102_444_800), "2100-01-01T00:00:00Z");
    }

    #[test]
    fn robots_names_the_sitemap_under_the_base_url() {
        let config = |base: &str| {
            let text = format!("[build]\nbase-url = \"{base}\"\n");
            crate::config::parse(Path::new("/b"), Path::new("/b/book.toml"), text).unwrap()
        };
        let absolute = robots(&config("https://docs.example.com/docs"));
        assert!(absolute.ends_with("Sitemap: https://docs.example.com/docs/sitemap.xml\n"));
        assert!(!absolute.contains('#'));
        let relative = robots(&config("/docs/"));
        assert!(
            relative.ends_with("Sitemap: /docs/sitemap.xml\n"),
            "{relative}"
        );
        assert!(relative.contains("# Crawlers only follow"));
    }
}
