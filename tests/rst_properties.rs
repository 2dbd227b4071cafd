//! Properties of the reStructuredText parser over generated input: it never panics,
//! and its cost grows linearly with the input (measured in parse steps, not time).

use std::collections::BTreeMap;

use loopbook::doc::{FileId, Location};
use loopbook::parse::{IncludeLoader, Included, ParseOptions, rst};
use proptest::prelude::*;

/// Includes of generated pages find nothing.
struct NoFiles;

impl IncludeLoader for NoFiles {
    fn enter(&mut self, target: &str, _: FileId, _: Location) -> Result<Included, String> {
        Err(format!("included file `{target}` does not exist"))
    }
    fn leave(&mut self) {}
    fn read_literal(&mut self, target: &str, _: FileId, _: Location) -> Result<String, String> {
        Err(format!("`{target}` does not exist"))
    }
}

fn parse_steps(text: &str) -> u64 {
    let variables = BTreeMap::from([("v".to_string(), "value".to_string())]);
    let options = ParseOptions {
        variables: &variables,
    };
    let (output, steps) = rst::parse_counting_steps(text, FileId(0), &options, &mut NoFiles);
    loopbook::render::html::render_document(&output.document);
    steps
}

/// Pieces of reStructuredText markup, whole and broken, that generated pages are made of.
fn fragment() -> impl Strategy<Value = String> {
    let pieces = [
        "*",
        "**",
        "`",
        "``",
        "|",
        "_",
        "__",
        ":ref:`",
        ":x:",
        "\n",
        "\n\n",
        "   ",
        "\t",
        "* ",
        "- ",
        "1. ",
        "#. ",
        "(a) ",
        "i) ",
        ".. ",
        "..\n",
        "::",
        "::\n\n   code\n",
        "=====\n",
        "Title\n=====\n",
        "-----\n",
        "+---+---+\n",
        "| a | b |\n",
        "===  ===\n",
        "| ",
        "word ",
        "http://x.example/a ",
        "a@b.example ",
        "\\",
        "[1]_ ",
        "[#]_ ",
        ".. [1] note\n",
        "__ http://x\n",
        ".. _label:\n",
        ".. |s| replace:: x\n",
        "|s|",
        "|s|_ ",
        "`t <http://u>`_ ",
        "name_ ",
        ".. note::\n",
        ".. code-block:: js\n",
        ".. list-table::\n   :header-rows: 1\n\n   * - a\n     - b\n",
        ".. include:: x\n",
        ".. only:: html\n",
        ".. toctree::\n",
        ":field: body\n",
        "term\n   definition\n",
        "\r\n",
        "é",
        "<b>",
        "&",
    ];
    prop_oneof![
        4 => proptest::sample::select(pieces.to_vec()).prop_map(str::to_string),
        1 => "[a-z*`|_:\\\\ \n.=+-]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        parse_steps(&text);
    }

    #[test]
    fn markup_soup_never_panics(fragments in proptest::collection::vec(fragment(), 0..60)) {
        parse_steps(&fragments.concat());
    }

    #[test]
    fn parse_cost_grows_linearly(
        fragments in proptest::collection::vec(fragment(), 1..16),
        copies in 1usize..4,
    ) {
        // Copies can join into one construct (a unit without a final newline continues
        // the next copy's paragraph), so the comparison starts from four copies, by which
        // the repeated structure is settled.
        let unit = fragments.concat();
        let copies = copies * 4;
        let small = parse_steps(&unit.repeat(copies));
        let large = parse_steps(&unit.repeat(copies * 4));
        // Four times the input may cost at most six times the steps (plus a constant
        // for the fixed cost of a page): a quadratic construct costs sixteen times.
        prop_assert!(
            large <= small * 6 + 500,
            "{} copies: {} steps, {} copies: {} steps, unit {:?}",
            copies, small, copies * 4, large, unit
        );
    }
}

#[test]
fn unmatched_markup_in_one_long_paragraph_stays_linear() {
    let units = [
        "*a ", "``a ", "`a ", "|a ", ":r:`a ", "a/b/", "x_y.z-w ", "[1 ", "_`a ", ":a", "a.",
        "`a`:", "|a|", "[a]", "a@", "http:", "a_", "-a", "(*", "\\*",
    ];
    for unit in units {
        let small = parse_steps(&unit.repeat(2_000));
        let large = parse_steps(&unit.repeat(8_000));
        assert!(large <= small * 6, "{unit:?}: {small} -> {large} steps");
    }
}
