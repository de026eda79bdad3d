package io.latentwatch.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.latentwatch.frames.ImageFrames;
import io.latentwatch.frames.ImageGrids;
import io.latentwatch.frames.ImageReading;
import io.latentwatch.frames.MapPanels;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.scoring.AnomalyMap;
import io.latentwatch.scoring.BatchScorer;
import io.latentwatch.scoring.FrameScore;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** latentwatch score-images --model DIR [--out F.jsonl] [--maps DIR] [--max-pixels N] PATH... */
@Command(
        name = "score-images",
        mixinStandardHelpOptions = true,
        description = {
            "Scores image files (PNG, JPEG, BMP) with a model; one JSON line per image: file, mse, kl, score, region, peak, mu, log_var.",
            "region [x, y, w, h] and peak [x, y] are in the image's own pixels: the area of the anomaly map above its threshold that"
                    + " holds the map's highest pixel; null when no area is above it, or the model has no maps.",
            "--maps DIR writes NAME_map.png per image: input | reconstruction | anomaly map with its region, in the model's grid"
                    + " (input | reconstruction for a model without maps).",
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

    @Option(names = "--maps", paramLabel = "DIR", description = "also write each image's input, reconstruction and anomaly map as"
            + " DIR/NAME_map.png (the folder is created)")
    Path maps;

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
        if (maps != null) {
            Files.createDirectories(maps);
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded loaded = ModelDirectory.read(model, manager);
            DipVaeConfig config = loaded.metadata.config();
            Gson gson = new GsonBuilder().serializeNulls().create();
            try (BatchScorer scorer = BatchScorer.forModel(loaded, device, precision);
                    Writer sink = out == null ? null : Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                PrintWriter lines = sink == null ? LatentwatchCommand.out(spec) : new PrintWriter(sink);
                float[] batch = new float[batchSize * config.frameValues()];
                List<Scored> names = new ArrayList<>();
                MapPictures pictures = maps == null ? null : new MapPictures(maps);
                for (Path f : files) {
                    try {
                        ImageReading.Decoded d = ImageReading.read(f, budget, config.imageSize());
                        d.normalise(config.inChannels(), config.imageSize(), batch, names.size() * config.frameValues());
                        names.add(new Scored(f, d.sourceWidth(), d.sourceHeight()));
                    } catch (Exception | OutOfMemoryError e) {
                        // whatever one file does, even exhausting the heap, it costs its line and the run goes on
                        spec.commandLine().getErr().println(f + ": " + ImageReading.reason(e));
                        failed++;
                    }
                    if (names.size() == batchSize) {
                        emit(scorer, batch, names, lines, gson, pictures);
                    }
                }
                emit(scorer, batch, names, lines, gson, pictures);
                lines.flush();
            }
        }
        return failed == 0 ? 0 : 1;
    }

    private static boolean isImage(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(name::endsWith);
    }

    /** An image read into the batch: its file and its own size (for region and peak). */
    private record Scored(Path file, int width, int height) {}

    private static void emit(BatchScorer scorer, float[] batch, List<Scored> names, PrintWriter lines, Gson gson, MapPictures pictures)
            throws IOException {
        if (names.isEmpty()) {
            return;
        }
        FrameScore[] scores = scorer.score(batch, names.size());
        DipVaeConfig config = scorer.getConfig();
        int size = config.imageSize();
        float[] recon = pictures == null ? null : scorer.reconstruct(batch, names.size());
        for (int i = 0; i < scores.length; i++) {
            Scored s = names.get(i);
            AnomalyMap map = scores[i].map;
            int[] region = map == null ? null : map.region();
            JsonObject o = new JsonObject();
            o.addProperty("file", s.file().toString());
            o.addProperty("mse", scores[i].mse);
            o.addProperty("kl", scores[i].kl);
            o.addProperty("score", scores[i].score);
            // the peak only with a region: no area above the threshold points nowhere (DESIGN.md)
            o.add("region", box(AnomalyMap.toFrame(region, size, s.width(), s.height())));
            o.add("peak", box(region == null ? null : AnomalyMap.pointToFrame(map.peak(), size, s.width(), s.height())));
            o.add("mu", array(scores[i].mu));
            o.add("log_var", array(scores[i].logVar));
            lines.println(gson.toJson(o));
            if (pictures != null) {
                int fv = config.frameValues();
                float[] input = Arrays.copyOfRange(batch, i * fv, (i + 1) * fv);
                float[] output = Arrays.copyOfRange(recon, i * fv, (i + 1) * fv);
                pictures.write(s.file(), MapPanels.row(input, output, config.inChannels(), size, map == null ? null : map.values(),
                        map == null ? Double.NaN : map.threshold(), region, MapPanels.scaleFor(size)));
            }
        }
        names.clear();
    }

    /** PNG files NAME_map.png in one folder; a name met again (files of other folders) gets NAME-2_map.png, ... */
    private static final class MapPictures {
        private final Path dir;
        private final Set<String> used = new HashSet<>();

        MapPictures(Path dir) {
            this.dir = dir;
        }

        void write(Path image, BufferedImage picture) throws IOException {
            String name = image.getFileName().toString();
            int dot = name.lastIndexOf('.');
            String stem = dot > 0 ? name.substring(0, dot) : name;
            String candidate = stem;
            for (int n = 2; !used.add(candidate); n++) {
                candidate = stem + "-" + n;
            }
            ImageGrids.writePng(picture, dir.resolve(candidate + "_map.png"));
        }
    }

    private static JsonElement box(int[] v) {
        if (v == null) {
            return JsonNull.INSTANCE;
        }
        JsonArray a = new JsonArray(v.length);
        for (int x : v) {
            a.add(x);
        }
        return a;
    }

    private static JsonArray array(float[] v) {
        JsonArray a = new JsonArray(v.length);
        for (float f : v) {
            a.add(f);
        }
        return a;
    }
}
