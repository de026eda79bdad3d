package io.latentwatch.cli;

import io.latentwatch.evaluation.OneClassBenchmark;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.training.TrainingOptions;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The defaults of a command's training options, read from a {@link TrainingOptions} instead of written again in
 * the annotations: picocli asks it for each option's default, so the command gets the builder's values and its help
 * shows them as {@code ${DEFAULT-VALUE}}. An option it does not know (a mixin's, --out) keeps its own default.
 */
abstract class TrainingDefaults implements IDefaultValueProvider {

    private final Map<String, String> values;

    TrainingDefaults(TrainingOptions defaults) {
        DipVaeConfig m = defaults.model();
        values = Map.ofEntries(
                Map.entry("--epochs", String.valueOf(defaults.epochs())),
                Map.entry("--batch-size", String.valueOf(defaults.batchSize())),
                Map.entry("--learning-rate", number(defaults.learningRate())),
                Map.entry("--image-size", defaults.imageSizeFromData() ? "auto" : String.valueOf(m.imageSize())),
                Map.entry("--channels", defaults.channelsFromData() ? "auto" : String.valueOf(m.inChannels())),
                Map.entry("--latent-dim", String.valueOf(m.latentDim())),
                Map.entry("--hidden-dims", Arrays.stream(m.hiddenDims()).mapToObj(String::valueOf).collect(Collectors.joining(","))),
                Map.entry("--dip-type", m.dipType().jsonName()),
                Map.entry("--kld-weight", number(m.kldWeight())),
                Map.entry("--lambda-diag", number(m.lambdaDiag())),
                Map.entry("--lambda-offdiag", number(m.lambdaOffdiag())),
                Map.entry("--seed", String.valueOf(defaults.seed())),
                Map.entry("--validation-split", number(defaults.validationFraction())),
                Map.entry("--false-alarm-rate", number(defaults.falseAlarmRate())),
                Map.entry("--score", defaults.scoreName()),
                Map.entry("--anomaly-map", defaults.anomalyMap()),
                Map.entry("--map-sigma", number(defaults.mapSigma())),
                Map.entry("--map-top-k", number(defaults.mapTopK())));
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        return arg.isOption() ? values.get(((OptionSpec) arg).longestName()) : null;
    }

    /** The shortest text that reads back as the same number: 10 rather than 10.0, 0.001 rather than 1.0E-3. */
    private static String number(double v) {
        return new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }

    private static String number(float v) {
        return new BigDecimal(Float.toString(v)).stripTrailingZeros().toPlainString();
    }

    /** The trainer's own defaults ({@link TrainingOptions#builder()}), for {@code latentwatch train}. */
    static final class Trainer extends TrainingDefaults {
        Trainer() {
            super(TrainingOptions.builder().build());
        }
    }

    /** The one-class protocol's settings ({@link OneClassBenchmark#defaultOptions()}), for {@code benchmark quality}. */
    static final class OneClass extends TrainingDefaults {
        OneClass() {
            super(OneClassBenchmark.defaultOptions());
        }
    }
}
