"""Collections: dunning policies and runs, letters, activities, promises to
pay and the collector worklist. Models live in ``collections_app.dunning.models``
and are imported by ``collections_app.models`` so Django registers them."""
