//! The build information and build ID read from binaries (the app's own, the cached ones, a
//! toolchain's `bin/go`): never a panic, for any bytes. Half the inputs are raw bytes; the
//! other half are well-formed ELF files whose Go sections hold fuzzed contents, so the
//! section parsers are reached, not just the ELF header checks.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use go_cnb_common::build_info::{build_info, go_build_id, parse_modinfo};
use libfuzzer_sys::fuzz_target;
use object::write::Object as ElfWriter;
use object::{Architecture, BinaryFormat, Endianness, SectionKind};

#[derive(Debug, Arbitrary)]
struct GoSections<'a> {
    /// Prefixed with the build-info magic when `with_magic`.
    build_info: &'a [u8],
    with_magic: bool,
    build_id_note: &'a [u8],
    modinfo: &'a str,
}

fn elf(sections: &GoSections<'_>) -> Vec<u8> {
    let mut writer = ElfWriter::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let mut build_info = Vec::new();
    if sections.with_magic {
        build_info.extend_from_slice(b"\xff Go buildinf:\x08\x02");
    }
    build_info.extend_from_slice(sections.build_info);
    for (name, contents, kind) in [
        (
            ".note.go.buildid",
            sections.build_id_note,
            SectionKind::Note,
        ),
        (".go.buildinfo", &build_info[..], SectionKind::Data),
    ] {
        let id = writer.add_section(Vec::new(), name.as_bytes().to_vec(), kind);
        writer.append_section_data(id, contents, 4);
    }
    writer.write().expect("an ELF file")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector % 2 == 0 {
        let _ = build_info(rest);
        let _ = go_build_id(rest);
        return;
    }
    let Ok(sections) = GoSections::arbitrary_take_rest(Unstructured::new(rest)) else {
        return;
    };
    let bytes = elf(&sections);
    if let Some(info) = build_info(&bytes) {
        let _ = info.go_release();
    }
    let _ = go_build_id(&bytes);
    let info = parse_modinfo("go1.26.6", sections.modinfo);
    assert_eq!(info.go_version, "go1.26.6");
});
