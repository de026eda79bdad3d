package io.latentwatch.cli;

import java.time.Duration;
import org.apache.flink.util.TimeUtils;
import picocli.CommandLine;

/** Durations as Flink writes them: 20ms, 2s, 1min, 1h (a bare number is milliseconds). */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return TimeUtils.parseDuration(value);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 20ms, 2s, 1min)");
        }
    }
}
