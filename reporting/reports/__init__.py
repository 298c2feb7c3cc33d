"""Reports as files: what a report run contains (`content`), and how it is
written as PDF, XLSX or CSV (`render`)."""
