-- The daily statistics gain station-wide rows (grid_id -1): settle every day again.
DELETE FROM stats_days;
DELETE FROM stats_daily;
DELETE FROM stats_area_daily;
