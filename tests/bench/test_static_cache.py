"""The benchmarks and browser tests copy one `collectstatic` per digest of what it reads (`bench.static_cache`).

A stale copy would hide a broken release from the tests that check it, so the digest must change with
every source file and storage setting, and a copy must be the cached collection as it is.
"""

from bench import static_cache


def test_the_digest_changes_with_a_static_file_and_with_a_storage_setting(tmp_path, settings):
    source = tmp_path / "static"
    source.mkdir()
    (source / "extra.js").write_text("export const answer = 41;\n")
    settings.STATICFILES_DIRS = [source]
    first = static_cache.digest()
    assert static_cache.digest() == first

    (source / "extra.js").write_text("export const answer = 42;\n")
    changed = static_cache.digest()
    assert changed != first
    (source / "more.css").write_text("body { margin: 0; }\n")
    assert static_cache.digest() not in (first, changed)

    (source / "more.css").unlink()
    assert static_cache.digest() == changed
    settings.WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ("map", "js")
    assert static_cache.digest() != changed


def test_a_collection_of_the_same_digest_is_copied_as_it_is(tmp_path, monkeypatch):
    monkeypatch.setattr(static_cache, "CACHE", tmp_path / "cache")
    entry = tmp_path / "cache" / static_cache.digest()
    (entry / "frontend").mkdir(parents=True)
    (entry / "frontend" / "app.0123abcd.js").write_text("collected\n")
    (entry / "staticfiles.json").write_text("{}\n")

    root = tmp_path / "root"
    static_cache.collect(root)
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == [
        "frontend", "frontend/app.0123abcd.js", "staticfiles.json"
    ]  # fmt: skip
    assert (root / "frontend" / "app.0123abcd.js").read_text() == "collected\n"
    assert (entry / "staticfiles.json").exists()  # the cached collection stays for the next copy
