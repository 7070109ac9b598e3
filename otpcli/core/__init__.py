"""Provider-neutral logic: models, errors, the waiting loop, settings resolution."""
