package io.latentwatch.cli;

import io.latentwatch.frames.ImageReading;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** --max-pixels, shared by every command that reads image files. */
final class PixelLimitOption {

    @Spec(Spec.Target.MIXEE) CommandSpec spec;

    @Option(
            names = ImageReading.CLI_FLAG,
            paramLabel = "N",
            defaultValue = "" + ImageReading.DEFAULT_MAX_PIXELS,
            description = "skip image files of more pixels (width x height, read from the header before any pixel is decoded)"
                    + " than this (default: ${DEFAULT-VALUE} = 4096 x 4096)")
    long maxPixels;

    /** The budget, once the value is checked. */
    ImageReading.PixelBudget budget() {
        if (maxPixels < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), ImageReading.CLI_FLAG + " must be at least 1, got " + maxPixels);
        }
        return ImageReading.PixelBudget.cli(maxPixels);
    }
}
