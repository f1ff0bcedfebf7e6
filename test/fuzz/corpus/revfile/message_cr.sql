-- revision: m1
-- message: me-- revision	%Eÿ
-- migrate:up
-- migrate:down
