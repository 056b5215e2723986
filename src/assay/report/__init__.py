"""Reports: model, builder, console table."""
