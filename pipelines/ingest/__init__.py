"""Ingest: find report files in raw/, tell which department and year each is, read it into
located blocks (readers/), extract its statements (extract/), and stage them as Parquet files in
parallel worker processes, ready for the one-transaction load."""
