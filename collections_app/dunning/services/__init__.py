"""Writes of collections: policies, runs, letters, activities, promises, priorities."""
