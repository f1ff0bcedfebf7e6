-- A comment first
--

-- see https://example.com/x: not a key
-- Revision ID: alembic style
--revision:r1
  -- message :  m: with colon 
	--   down_revision	:a,b
  --migrate:up  	

  body line
-- revision: in body

   -- migrate:down	
undo