//! Placements end to end: the real binary on real books. The example site's generated
//! files, the JSON Schemas checked by an independent validator, and what a user sees
//! when a definition, a directive or `[invite]` is wrong.

mod common;

use std::path::Path;

use common::{Book, copy_tree};

/// The example site at the repository root, copied into a temporary folder.
fn example_site() -> Book {
    let book = Book::empty();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("book.toml"), book.path().join("book.toml")).unwrap();
    copy_tree(&root.join("content"), &book.path().join("content"));
    copy_tree(&root.join("placements"), &book.path().join("placements"));
    book
}

const BOOK: &str = r#"[book]
title = "Shop docs"

[variables]
site_id = "SITE-1"
integration_url = "https://cdn.example/loader.js"

[placements]
queue = "_shop"
"#;

const WELCOME: &str = r#"name = "welcome"
title = "Welcome"
call = "greet"
snippet = "queue"

[[fields]]
name = "email"
type = "email"
required = true

[example]
email = "customer@example.com"
"#;

/// A small book with one placement and a page that shows it.
fn small_book() -> Book {
    let book = Book::empty();
    book.write("book.toml", BOOK)
        .write("placements/welcome.toml", WELCOME)
        .write(
            "content/index.md",
            "# Home\n\n```{placement} welcome\n```\n\n```{placement-fields} welcome\n```\n",
        );
    book
}

#[test]
fn example_site_builds_its_placement_files_and_invite_page() {
    let book = example_site();
    let run = book.build(&[]);
    run.expect_success();
    assert!(run.stderr.contains("4 samples"), "{}", run.stderr);

    for file in [
        "public/invite/index.html",
        "public/samples/post_purchase/index.html",
        "public/samples/post_purchase/payload.json",
        "public/samples/post_purchase/schema.json",
        "public/samples/post_purchase/basic/index.html",
        "public/samples/post_purchase/advanced/schema.json",
        "public/samples/standalone/payload.json",
        "public/theme/loopbook-stub.js",
    ] {
        assert!(book.exists(file), "{file} was not written");
    }

    let invite = book.read("public/invite/index.html");
    assert!(
        invite.contains("<div id=\"ripple-invite\""),
        "the container is on the page"
    );
    assert!(invite.contains("_ripple.push([\"show_invite\", {"));
    assert!(
        invite.contains("site_id: \"YOUR-SITE-ID\""),
        "variables are filled in"
    );
    assert!(
        invite.contains("src=\"https://cdn.ripple.example/integration/v4.min.js\""),
        "the invite page loads the platform's real script"
    );

    let docs = book.main_of("integration/post-purchase.html");
    assert!(docs.contains("<span class=\"lb-site-id\">YOUR-SITE-ID</span>"));
    assert!(docs.contains("href=\"../samples/post_purchase/basic/index.html\""));
    assert!(docs.contains("class=\"lb-table lb-placement-fields\""));
    assert!(
        docs.contains("items[].price"),
        "nested fields are listed with their path"
    );
    assert!(docs.contains("href=\"../samples/post_purchase/advanced/payload.json\""));

    let sample = book.read("public/samples/post_purchase/index.html");
    assert!(sample.contains("<script async src=\"../../theme/loopbook-stub.js\"></script>"));
    assert!(sample.contains("href=\"../../integration/post-purchase.html\""));
}

/// Every schema the build writes, read by an independent JSON Schema validator (boon,
/// draft 2020-12, format assertions on), accepts its payload and rejects broken ones.
#[test]
fn every_written_schema_accepts_its_payload_and_rejects_a_broken_copy() {
    let book = example_site();
    book.build(&[]).expect_success();
    let files = book.output_files();
    let schemas: Vec<&String> = files
        .keys()
        .filter(|p| p.ends_with("schema.json"))
        .collect();
    assert_eq!(schemas.len(), 4, "{schemas:?}");

    for schema_path in schemas {
        let payload_path = schema_path.replace("schema.json", "payload.json");
        let schema: serde_json::Value = serde_json::from_slice(&files[schema_path]).unwrap();
        let payload: serde_json::Value = serde_json::from_slice(&files[&payload_path]).unwrap();

        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        let url = format!("file:///{schema_path}");
        compiler.add_resource(&url, schema.clone()).unwrap();
        let mut compiled = boon::Schemas::new();
        let index = compiler.compile(&url, &mut compiled).unwrap();

        if let Err(error) = compiled.validate(&payload, index) {
            panic!("{schema_path} rejects its own payload: {error}");
        }
        for (what, broken) in broken_copies(&schema, &payload) {
            assert!(
                compiled.validate(&broken, index).is_err(),
                "{schema_path} accepts a payload with {what}: {broken}"
            );
        }
    }
}

/// Copies of `payload` with one thing wrong each: a required field gone, an unknown
/// field, and a wrong type.
fn broken_copies(
    schema: &serde_json::Value,
    payload: &serde_json::Value,
) -> Vec<(&'static str, serde_json::Value)> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|name| name.as_str())
        .collect();
    let mut copies = Vec::new();

    let mut missing = payload.clone();
    missing.as_object_mut().unwrap().remove(required[0]);
    copies.push(("a required field missing", missing));

    let mut unknown = payload.clone();
    unknown["not_a_field"] = serde_json::json!(1);
    copies.push(("an unknown field", unknown));

    let mut wrong_type = payload.clone();
    wrong_type[required[0]] = serde_json::json!({ "nested": true });
    copies.push(("a wrong type", wrong_type));

    if payload.get("email").is_some() {
        let mut bad_email = payload.clone();
        bad_email["email"] = serde_json::json!("not-an-email");
        copies.push(("a malformed email", bad_email));
    }
    if payload.get("subtotal").is_some() {
        let mut bad_decimal = payload.clone();
        bad_decimal["subtotal"] = serde_json::json!("1,234.50");
        copies.push(("a malformed decimal", bad_decimal));
    }
    if payload.get("placed_at").is_some() {
        let mut bad_time = payload.clone();
        bad_time["placed_at"] = serde_json::json!("14/03/2026 09:26");
        copies.push(("a malformed date-time", bad_time));
    }
    copies
}

#[test]
fn problems_of_all_definitions_are_reported_in_one_run_with_file_and_line() {
    let book = small_book();
    book.write(
        "placements/welcome.toml",
        &WELCOME.replace("email = \"customer@example.com\"", "email = \"customer@\""),
    );
    book.write(
        "placements/other.toml",
        "name = \"other\"\ntitle = \"Other\"\ncall = \"x\"\nsnippet = \"queue\"\n\
         fields = [ { name = \"n\", type = \"numbr\" } ]\n[example]\nn = 1\n",
    );
    let run = book.build(&[]);
    run.expect_code(1);
    let locations = run.locations();
    assert!(
        locations.contains(&"placements/other.toml:5:33".to_string()),
        "{locations:?}"
    );
    assert!(
        locations.contains(&"placements/welcome.toml:12:9".to_string()),
        "{locations:?}"
    );
    let headlines = run.headlines();
    assert!(headlines.contains(&"error: field `n`: `numbr` is not a type".to_string()));
    assert!(headlines.contains(&"error: `email` is not a valid email address".to_string()));
    assert!(
        run.stderr.contains("email = \"customer@\""),
        "diagnostics show the line"
    );
    // Pages showing a placement whose definition is broken are not told it is unknown.
    assert!(!run.stderr.contains("unknown placement"), "{}", run.stderr);
    assert!(
        !book.exists("public"),
        "nothing is written when a definition is wrong"
    );
}

#[test]
fn unknown_placement_in_a_page_names_the_nearest_one_at_the_directive() {
    let book = small_book();
    book.write(
        "content/index.md",
        "# Home\n\nText.\n\n```{placement} welcom\n```\n",
    );
    let run = book.build(&[]);
    run.expect_code(1);
    assert_eq!(run.locations(), ["content/index.md:5:1"]);
    assert_eq!(run.headlines(), ["error: unknown placement `welcom`"]);
    assert!(
        run.stderr.contains("did you mean `welcome`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn invite_naming_a_missing_placement_is_an_error_at_its_book_toml_line() {
    let book = small_book();
    let config = format!("{BOOK}\n[invite]\npath = \"invite\"\nplacement = \"welcom\"\n");
    book.write("book.toml", &config);
    let run = book.build(&[]);
    run.expect_code(1);
    assert_eq!(run.locations(), ["book.toml:13:1"]);
    assert!(
        run.stderr.contains("did you mean `welcome`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn invite_page_answers_at_its_folder_in_either_url_style() {
    let book = small_book();
    let config = BOOK.replace("[book]", "[build]\npretty-urls = true\n\n[book]");
    book.write(
        "book.toml",
        &format!("{config}\n[invite]\nplacement = \"welcome\"\n"),
    );
    book.build(&[]).expect_success();
    let invite = book.read("public/invite/index.html");
    assert!(invite.contains("_shop.push([\"greet\", {"), "{invite}");
    assert!(
        invite.contains("href=\"../theme/loopbook.css\""),
        "links are relative to /invite/"
    );
}

#[test]
fn snippets_need_the_site_id_and_loader_variables() {
    let book = small_book();
    book.write("book.toml", "[placements]\nqueue = \"_shop\"\n");
    let run = book.build(&[]);
    run.expect_code(1);
    let headlines = run.headlines();
    assert!(headlines.contains(&"error: placement snippets need `site_id` in [variables]".into()));
    assert!(
        headlines
            .contains(&"error: placement snippets need `integration_url` in [variables]".into())
    );
}

#[test]
fn a_book_theme_overrides_a_snippet_template_by_name() {
    let book = small_book();
    book.write(
        "themes/default/snippets/queue.html",
        "<!-- own --><script>{{ queue }}.push([{{ placement.call | js_string }}, \
         {{ payload | json_script }}]);</script>\n",
    );
    book.build(&[]).expect_success();
    let main = book.main_of("index.html");
    assert!(main.contains("own"), "{main}");
    let sample = book.read("public/samples/welcome/index.html");
    assert!(sample.contains(
        "<script>_shop.push([\"greet\", {\"email\":\"customer@example.com\"}]);</script>"
    ));
}

#[test]
fn snippet_naming_a_missing_template_is_an_error_at_the_definition() {
    let book = small_book();
    book.write(
        "placements/welcome.toml",
        &WELCOME.replace("\"queue\"", "\"queu\""),
    );
    let run = book.build(&[]);
    run.expect_code(1);
    assert_eq!(run.locations(), ["placements/welcome.toml:4:1"]);
    assert!(
        run.stderr.contains("did you mean `queue`?"),
        "{}",
        run.stderr
    );
}

/// The small book with `[invite] path = "{path}"`, written at line 12 of book.toml.
fn book_with_invite_path(path: &str) -> Book {
    let book = small_book();
    let config = format!("{BOOK}\n[invite]\npath = \"{path}\"\nplacement = \"welcome\"\n");
    book.write("book.toml", &config);
    book
}

#[test]
fn invite_path_inside_a_sample_folder_is_an_error_at_its_book_toml_line() {
    let book = book_with_invite_path("samples/welcome");
    let run = book.build(&[]);
    run.expect_code(1);
    assert_eq!(
        run.headlines(),
        ["error: [invite] path `samples/welcome` is inside `samples/`, which loopbook generates"]
    );
    assert_eq!(run.locations(), ["book.toml:12:1"]);
    assert!(!book.exists("public"));
}

#[test]
fn invite_path_naming_a_file_is_a_diagnostic_not_a_file_system_error() {
    let book = book_with_invite_path("index.html");
    let run = book.build(&[]);
    run.expect_code(1);
    assert!(!run.stderr.contains("os error"), "{}", run.stderr);
    assert_eq!(
        run.headlines(),
        [
            "error: [invite] path `index.html` names a file, but the invite page is written to \
             `index.html/index.html`"
        ]
    );
    assert_eq!(run.locations(), ["book.toml:12:1"]);
}

#[test]
fn invite_path_over_a_site_file_is_a_duplicate_at_its_book_toml_line() {
    let book = book_with_invite_path("sitemap.xml");
    let run = book.build(&[]);
    run.expect_code(1);
    assert_eq!(
        run.headlines(),
        [
            "error: `sitemap.xml` is a file made by the publish stage, but the invite page \
             (`[invite] path`) writes `sitemap.xml/index.html` inside it"
        ]
    );
    assert_eq!(run.locations(), ["book.toml:12:1"]);
}

#[test]
fn page_where_a_live_sample_goes_is_a_duplicate_at_the_page() {
    let book = small_book();
    book.write("content/samples/welcome/index.md", "# Mine\n");
    let run = book.build(&[]);
    run.expect_code(1);
    assert_eq!(
        run.headlines(),
        [
            "error: `samples/welcome/index.html` would be written twice: by the page \
             `samples/welcome/index.md` and by the live sample of placement `welcome`"
        ]
    );
    assert_eq!(run.locations(), ["content/samples/welcome/index.md:1:1"]);
}
