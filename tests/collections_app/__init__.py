"""Tests for collections_app."""
