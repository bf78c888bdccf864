-- Finding orders: the orders list's filters and sorts read these indexes.
-- The PostgreSQL file of the same number must stay alike (types differ only).

CREATE INDEX work_orders_channel_created ON work_orders(channel, created_at, id);
CREATE INDEX work_orders_type_created ON work_orders(order_type, created_at, id);
CREATE INDEX work_orders_status_created ON work_orders(status, created_at, id);
CREATE INDEX work_orders_grid_created ON work_orders(grid_id, created_at, id);

