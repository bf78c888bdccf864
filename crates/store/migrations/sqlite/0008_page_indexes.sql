-- Indexes the role pages read by at millions of orders: the desk's latest orders of a
-- station, a department's queue by due time, the board's overdue and reopened orders.
CREATE INDEX work_orders_station_created ON work_orders(station_id, created_at, id);
CREATE INDEX work_orders_department_due ON work_orders(department_id, next_due_at, id);
CREATE INDEX work_orders_overdue_status ON work_orders(overdue, status, next_due_at);
CREATE INDEX work_orders_reopened ON work_orders(reopen_count, status, updated_at);
