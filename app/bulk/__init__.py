"""Bulk screening of files of sites on Dask: input staging, the job runner, output assembly."""
