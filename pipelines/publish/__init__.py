"""What the finance bureau reads: comparison tables (marts), Excel/CSV exports and charts, one
review report per department and year, an annotated copy of each PDF report, and the year's
index and findings pages."""
