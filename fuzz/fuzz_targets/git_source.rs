//! `.git` files of an app: whatever they hold, a HEAD ref stays under `refs/` without `..` (it
//! becomes a path), commits are object names, and a public source URL is https with no
//! user, password or query in it.
#![no_main]

use go_cnb_common::git_source::{
    is_object_name, packed_ref, parse_head, parse_ref_file, public_source_url, remote_url, GitHead,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match parse_head(text) {
        Some(GitHead::Ref(name)) => {
            assert!(name.starts_with("refs/"));
            assert!(name.split('/').all(|part| part != ".." && !part.is_empty()));
            if let Some(commit) = packed_ref(text, &name) {
                assert!(is_object_name(&commit));
            }
        }
        Some(GitHead::Commit(commit)) => assert!(is_object_name(&commit)),
        None => {}
    }
    if let Some(commit) = parse_ref_file(text) {
        assert!(is_object_name(&commit));
    }
    for url in [Some(text.to_string()), remote_url(text, "origin")]
        .into_iter()
        .flatten()
    {
        if let Some(public) = public_source_url(&url) {
            let rest = public.strip_prefix("https://").expect("https");
            assert!(!rest.contains(['@', '?', '#', ':', ' ']), "{public}");
            assert!(!rest.split('/').any(|part| part == ".."), "{public}");
        }
    }
});
