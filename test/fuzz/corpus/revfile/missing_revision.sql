-- message: x

-- migrate:up
SELECT 1;
