-- The registry keeps its schemas in Postgres, in a database of its own (as in the local stack).
CREATE DATABASE schema_registry;
