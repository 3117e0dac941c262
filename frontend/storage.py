"""Static files storage: hashed names, compressed copies, ES module imports rewritten."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage that also rewrites `import`/`export ... from` paths in JS modules.

    With it, `import { openDb } from "./db.js";` in `frontend/js/app.js` is
    stored as `import { openDb } from "./db.0123abcd4567.js";`, so a module
    graph is cached as a whole per release.
    """

    support_js_module_import_aggregation = True
