//! TROUBLESHOOTING.md carries the same AADSTS table as the crate.

use defender_siem::auth::aadsts;

#[test]
fn troubleshooting_table_matches_the_crate() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/TROUBLESHOOTING.md"))
        .unwrap();
    for e in aadsts::TABLE {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", e.code)))
            .unwrap_or_else(|| panic!("AADSTS{} missing from TROUBLESHOOTING.md", e.code));
        let fix = e.fix.replace("auth::consent", "`auth::consent`");
        assert!(row.contains(e.name), "{}: name", e.code);
        assert!(row.contains(e.cause), "{}: cause differs", e.code);
        assert!(
            row.contains(e.fix) || row.contains(&fix),
            "{}: fix differs",
            e.code
        );
    }
    for code in [
        7000215, 7000222, 7000218, 700016, 90002, 500011, 70011, 700022, 1002012, 700082,
    ] {
        assert!(aadsts::explain(code).is_some(), "{code}");
    }
}
