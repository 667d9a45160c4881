"""Operations: the retention purge, the database roles, and the audit log's filter and export."""
