-- The dashboard's range reads: the station-wide (or one grid's) rows of a year without
-- touching the per-grid rows, and the areas' sums without a sort.
CREATE INDEX stats_daily_range ON stats_daily(grid_id, day, station_id, dim, value, created, closed, closed_on_time, visits, satisfied, dissatisfied);
CREATE INDEX stats_area_daily_range ON stats_area_daily(area_id, day, orders, complaints, station_id, grid_id);
