"""Settings from the environment (LASTMILE_*); read when asked, never at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LASTMILE_", extra="ignore")

    database_url: str = ""
    data_dir: Path = Path("var")
    demo_headless: bool = False

    def resolved_database_url(self) -> str:
        """SQLite file under ``data_dir`` unless a URL is given."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lastmile.sqlite3').as_posix()}"


def get_settings() -> Settings:
    return Settings()
