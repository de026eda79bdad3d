package io.latentwatch.cli;

import io.latentwatch.data.DatasetSpec;
import io.latentwatch.data.ImageDataset;
import io.latentwatch.frames.ImageReading;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.training.ConsoleProgress;
import io.latentwatch.training.ModelTrainer;
import io.latentwatch.training.TrainingOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** latentwatch train --data SPEC --out DIR [options] */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        defaultValueProvider = TrainingDefaults.Trainer.class,
        sortOptions = false,
        description = {
            "Trains a DIP-VAE on normal images, calibrates its anomaly threshold on held-out images, and writes a model directory",
            "(model.json, weights.safetensors, reconstructions.png, samples.png). Progress goes to stderr.",
            "SPEC: " + DatasetSpec.FORMS + ".",
            "Unreadable images, images in other formats than PNG, JPEG and BMP, and images of more pixels than --max-pixels are"
                    + " skipped and counted."
        })
final class TrainCommand implements Callable<Integer> {

    /** What {@link #auto} returns for "auto". */
    private static final int AUTO = 0;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "SPEC", description = "normal images to train on")
    String data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "model directory to write")
    Path out;

    @Option(names = "--validation", paramLabel = "SPEC", description = "normal images to calibrate on (default: --validation-split of --data)")
    String validation;

    // the defaults come from TrainingOptions' builder (TrainingDefaults.Trainer), not from the annotations

    @Mixin TrainingFlags training;




    @Option(names = "--image-size", description = "model input side in pixels, a multiple of 2^len(hidden dims); auto: "
            + "the dataset's, rounded up (28 -> 32) (default: ${DEFAULT-VALUE})")
    String imageSize;

    @Option(names = "--channels", description = "1 (luma) | 3 (RGB) | auto: the dataset's (default: ${DEFAULT-VALUE})")
    String channels;








    @Mixin DeviceOption deviceOption;


    @Option(names = "--false-alarm-rate", description = "target fraction of normal images above the threshold (default: ${DEFAULT-VALUE})")
    double falseAlarmRate;


    @Option(names = "--no-images", description = "do not write reconstructions.png and samples.png")
    boolean noImages;

    @Mixin PixelLimitOption pixelLimit;

    @Override
    public Integer call() throws Exception {
        TrainingOptions options = options();
        DatasetSpec trainSpec = parseSpec("--data", data);
        DatasetSpec validationSpec = validation == null ? null : parseSpec("--validation", validation);
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + " is a file, not a directory");
        }
        ImageReading.PixelBudget budget = pixelLimit.budget();
        ImageDataset trainSet = trainSpec.open(budget);
        ImageDataset validationSet = validationSpec == null ? null : validationSpec.open(budget);
        ConsoleProgress progress = ConsoleProgress.stderr(spec.commandLine().getErr());
        ModelMetadata meta = ModelTrainer.train(options, trainSet, validationSet, out, progress);
        var t = meta.training();
        LatentwatchCommand.out(spec).printf(Locale.ROOT,
                "wrote model %s: %d training and %d validation images (%d skipped), %d epochs in %.1f s (%.0f frames/s), validation mse %.5g, "
                        + "score %s, threshold %.6g at a %.2g %% false-alarm rate%n",
                out, t.get("train_frames").getAsInt(), t.get("validation_frames").getAsInt(), t.get("skipped_images").getAsInt(),
                t.get("epochs").getAsInt(), t.get("duration_seconds").getAsDouble(), t.get("frames_per_second").getAsDouble(),
                t.get("validation_mse").getAsDouble(), meta.scoreName(), meta.threshold(), falseAlarmRate * 100);
        LatentwatchCommand.out(spec).flush();
        return 0;
    }

    private TrainingOptions options() {
        int size = auto("--image-size", imageSize);
        int inChannels = auto("--channels", channels);
        try {
            DipVaeConfig.Builder model = training.model(TrainingOptions.DEFAULT_MODEL.toBuilder())
                    // with auto, the default side stands in (as these hidden dims take it) until the dataset's is known
                    .imageSize(size != AUTO ? size : DipVaeConfig.imageSizeFor(TrainingOptions.DEFAULT_MODEL.imageSize(), training.hiddenDims.length));
            if (inChannels != AUTO) {
                model.inChannels(inChannels);
            }
            return training.training(TrainingOptions.builder())
                    .optModel(model.build())
                    .optImageSizeFromData(size == AUTO)
                    .optChannelsFromData(inChannels == AUTO)
                    .optDevice(deviceOption.device)
                    .optFalseAlarmRate(falseAlarmRate)
                    .optDataSpec(data)
                    .optWriteImages(!noImages)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** A positive whole number, or {@link #AUTO} for "auto". */
    private int auto(String option, String value) {
        if (value.trim().equalsIgnoreCase("auto")) {
            return AUTO;
        }
        try {
            int v = Integer.parseInt(value.trim());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new CommandLine.ParameterException(spec.commandLine(), option + " must be a positive whole number or auto, got '" + value + "'");
    }

    private DatasetSpec parseSpec(String option, String value) {
        try {
            return DatasetSpec.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + e.getMessage());
        }
    }
}
