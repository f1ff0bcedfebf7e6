CREATE TABLE segment (id serial PRIMARY KEY, "time;stamp" text DEFAULT 'a;''b');
SELECT E'\\';x', U&'d\0061t', $$a;b$$, $fn$ $$ ; $fn$, a$b$c, $1;
/* outer /* nested ; */ still; */ SELECT 1; -- comment ;
CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; END;
CREATE RULE r AS ON INSERT TO t DO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));
CREATE INDEX CONCURRENTLY ix ON segment (id)
