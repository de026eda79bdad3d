package io.latentwatch.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.latentwatch.frames.ImageFrames;
import io.latentwatch.frames.ImageReading;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** latentwatch score-images --model DIR [--out F.jsonl] [--max-pixels N] PATH... */
@Command(
        name = "score-images",
        mixinStandardHelpOptions = true,
        description = {
            "Scores image files (PNG, JPEG, BMP) with a model; one JSON line per image: file, mse, kl, score, mu, log_var.",
            "Folders are searched recursively. Grayscale models take the luma of colour images. Images of another size are resized: "
                    + ImageFrames.RESIZE_METHOD + ".",
            "Only PNG, JPEG and BMP are read; an image of more pixels than --max-pixels (width x height, from its header) is refused"
                    + " undecoded, and one far larger than the model's size is decoded subsampled.",
            "Each file that cannot be scored (unreadable, another format, too many pixels, out of memory) costs one line on stderr,"
                    + " FILE: reason; the others are still scored, and the exit code is then 1."
        })
final class ScoreImagesCommand implements Callable<Integer> {

    /** GIFs are not read, but a folder's are still listed, so that each is reported as refused rather than passed over. */
    private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "model directory")
    Path model;

    @Option(names = "--out", description = "write the JSON lines to this file instead of stdout")
    Path out;

    @Option(names = "--batch-size", defaultValue = "64", description = "frames per model call (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Mixin PixelLimitOption pixelLimit;

    @Mixin DeviceOption deviceOption;

    @Mixin PrecisionOption precisionOption;

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "image files or folders")
    List<Path> paths;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--batch-size must be at least 1, got " + batchSize);
        }
        ImageReading.PixelBudget budget = pixelLimit.budget();
        Device device = deviceOption.device();
        DataType precision = precisionOption.precision(device);
        List<Path> files = new ArrayList<>();
        int failed = 0;
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    files.addAll(walk.filter(Files::isRegularFile).filter(ScoreImagesCommand::isImage).sorted().collect(Collectors.toList()));
                }
            } else if (Files.exists(p)) {
                files.add(p);
            } else {
                spec.commandLine().getErr().println(p + ": no such file or folder");
                failed++;
            }
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded loaded = ModelDirectory.read(model, manager);
            DipVaeConfig config = loaded.metadata.config();
            Gson gson = new Gson();
            try (BatchScorer scorer = BatchScorer.forModel(loaded, device, precision);
                    Writer sink = out == null ? null : Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                PrintWriter lines = sink == null ? LatentwatchCommand.out(spec) : new PrintWriter(sink);
                float[] batch = new float[batchSize * config.frameValues()];
                List<Path> names = new ArrayList<>();
                for (Path f : files) {
                    try {
                        ImageReading.read(f, budget, config.imageSize())
                                .normalise(config.inChannels(), config.imageSize(), batch, names.size() * config.frameValues());
                        names.add(f);
                    } catch (Exception | OutOfMemoryError e) {
                        // whatever one file does, even exhausting the heap, it costs its line and the run goes on
                        spec.commandLine().getErr().println(f + ": " + ImageReading.reason(e));
                        failed++;
                    }
                    if (names.size() == batchSize) {
                        emit(scorer, batch, names, lines, gson);
                    }
                }
                emit(scorer, batch, names, lines, gson);
                lines.flush();
            }
        }
        return failed == 0 ? 0 : 1;
    }

    private static boolean isImage(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(name::endsWith);
    }

    private static void emit(BatchScorer scorer, float[] batch, List<Path> names, PrintWriter lines, Gson gson) {
        if (names.isEmpty()) {
            return;
        }
        FrameScore[] scores = scorer.score(batch, names.size());
        for (int i = 0; i < scores.length; i++) {
            JsonObject o = new JsonObject();
            o.addProperty("file", names.get(i).toString());
            o.addProperty("mse", scores[i].mse);
            o.addProperty("kl", scores[i].kl);
            o.addProperty("score", scores[i].score);
            o.add("mu", array(scores[i].mu));
            o.add("log_var", array(scores[i].logVar));
            lines.println(gson.toJson(o));
        }
        names.clear();
    }

    private static JsonArray array(float[] v) {
        JsonArray a = new JsonArray(v.length);
        for (float f : v) {
            a.add(f);
        }
        return a;
    }
}
