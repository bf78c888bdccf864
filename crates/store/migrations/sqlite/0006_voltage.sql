-- Voltage quality: readings of the monitoring point of each transformer area, each checked
-- against its level's GB/T 12325 limits when recorded. The PostgreSQL file of the same
-- number must stay alike (types differ only).

-- One reading: the voltage seen at `at`, standing for `minutes` of monitored time.
CREATE TABLE voltage_readings (
    id INTEGER PRIMARY KEY,
    area_id INTEGER NOT NULL REFERENCES transformer_areas(id),
    level TEXT NOT NULL,            -- 220v | 380v | 6kv | 10kv | 20kv | 35kv | 66kv | 110kv
    at INTEGER NOT NULL,
    volts REAL NOT NULL,
    minutes REAL NOT NULL,
    month INTEGER NOT NULL,         -- yyyymm of `at` in Beijing time, the pass-rate bucket
    verdict TEXT NOT NULL,          -- above | below | ok, by the domain when recorded
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX voltage_readings_key ON voltage_readings(area_id, level, at);
CREATE INDEX voltage_readings_area ON voltage_readings(area_id, at);
CREATE INDEX voltage_readings_at ON voltage_readings(at);
