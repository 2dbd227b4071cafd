//! Benchmark: parsing a generated 1 MB reStructuredText page.
//!
//! Run with `cargo bench --bench rst_parse`. The page mixes what integration docs hold
//! (sections, paragraphs with inline markup and references, lists, code blocks, notes,
//! tables, substitutions, labels); the benchmark parses it repeatedly and prints the
//! fastest and the median time, the throughput, and the parse steps per byte (the
//! measure the linearity property test uses). The target is under 50 ms for 1 MB.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use loopbook::doc::{FileId, Location};
use loopbook::parse::{IncludeLoader, Included, ParseOptions, rst};

const TARGET_BYTES: usize = 1024 * 1024;
const RUNS: usize = 21;

struct NoFiles;

impl IncludeLoader for NoFiles {
    fn enter(&mut self, target: &str, _: FileId, _: Location) -> Result<Included, String> {
        Err(format!("no `{target}` in a benchmark"))
    }
    fn leave(&mut self) {}
    fn read_literal(&mut self, target: &str, _: FileId, _: Location) -> Result<String, String> {
        Err(format!("no `{target}` in a benchmark"))
    }
}

/// One section of the generated page; `n` makes its titles and labels unique.
fn section(n: usize) -> String {
    format!(
        ".. _section-{n}:

Placement {n}
=============

The *referral* widget registers a **purchase** with ``register_purchase`` and
returns a `share link <https://example.com/share/{n}>`_ for the |advocate|. See
:ref:`the setup <section-{n}>` and :doc:`/guide/install` for the steps; the
script at |integration_url| must load first. Visit https://example.com/docs/{n}.

Options
-------

* ``site_id`` -- your site's id, as shown on the dashboard.
* ``email`` -- the customer's e-mail address, for example customer@example.com.
* ``coupon_code`` -- a single code or a list of codes.

  1. First nested step with *emphasis*.
  2. Second nested step.

.. note::

   Passing order data lets the platform verify each referral. Escaped \\*stars\\*
   stay as they are.

.. code-block:: javascript
   :emphasize-lines: 2

   var _queue = window._queue || [];
   _queue.push(['register_purchase', {{ order_number: '{n}', subtotal: '23.97' }}]);

Fields::

   order_number   string   required
   subtotal       decimal  required

=============  ========  ===========================
Field          Type      Description
=============  ========  ===========================
order_number   string    The order number.
email          email     The customer's address.
=============  ========  ===========================

+-----------+-----------------------------+
| Event     | Meaning                     |
+===========+=============================+
| purchase  | An order was placed.        |
+-----------+-----------------------------+

"
    )
}

fn page() -> String {
    let mut text = String::from(".. |advocate| replace:: *Advocate*\n\n");
    let mut n = 0;
    while text.len() < TARGET_BYTES {
        text.push_str(&section(n));
        n += 1;
    }
    text
}

fn main() {
    let text = page();
    let variables = BTreeMap::from([(
        "integration_url".to_string(),
        "//cdn.example.com/integration.js".to_string(),
    )]);
    let options = ParseOptions {
        variables: &variables,
    };
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut steps = 0;
    let mut blocks = 0;
    let cpu_before = process_cpu_seconds();
    for _ in 0..RUNS {
        let started = Instant::now();
        let (output, counted) = rst::parse_counting_steps(&text, FileId(0), &options, &mut NoFiles);
        times.push(started.elapsed());
        steps = counted;
        blocks = output.document.blocks.len();
    }
    let cpu = process_cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| (after - before) / RUNS as f64);
    times.sort();
    let megabytes = text.len() as f64 / (1024.0 * 1024.0);
    let median = times[RUNS / 2];
    println!(
        "rst_parse: {:.2} MB page ({blocks} top-level blocks), {RUNS} runs: \
         fastest {:.1} ms, median {:.1} ms ({:.0} MB/s), {:.2} steps per byte",
        megabytes,
        times[0].as_secs_f64() * 1000.0,
        median.as_secs_f64() * 1000.0,
        megabytes / median.as_secs_f64(),
        steps as f64 / text.len() as f64
    );
    // On a busy machine wall time includes waiting for a core; CPU time does not.
    if let Some(cpu) = cpu {
        println!(
            "rst_parse: {:.1} ms of CPU per parse (includes dropping the document)",
            cpu * 1000.0
        );
    }
}

/// User + system CPU seconds of this process so far, from `/proc/self/stat` (Linux;
/// `None` elsewhere). Ticks are 1/100 s, fine for the sum of many runs.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; the fields after it are plain.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user + system) / 100.0)
}
